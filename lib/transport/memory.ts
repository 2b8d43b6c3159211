/**
 * An in-memory connection pair, for running the server in-process in tests: the server side
 * is a {@link Connection} (hand it to `ChatServer.addConnection`), the client side a
 * {@link MemoryPeer} that writes bytes to it and sees what the server wrote.
 *
 * It behaves like a socket where the tests need it to: input goes through the same
 * {@link LineFramer} limits as TCP; a peer that does not read (`paused`) holds back the
 * server's writes (their promises stay pending), which is how SendQ fills; a closed side
 * ends the other's input and makes its writes fail. It can offer a direct write too, and
 * enforces that path's rule: a direct write while a `write()` is in flight throws.
 *
 * @module
 */

import { type FramedLine, LineFramer } from "../protocol/framer.ts";
import type { Connection, TransportKind } from "./connection.ts";

/** Options of {@link memoryConnectionPair}. */
export interface MemoryPairOptions {
  /** The client's address as the server sees it (default 127.0.0.1). */
  remoteAddress?: string;
  /** What the server side reports as its transport (default "tcp"). */
  kind?: TransportKind;
  /** The client starts without reading: the server's writes wait (default false). */
  paused?: boolean;
  /**
   * Offer the server side a direct write (like `send(2)` on TCP) that takes, while the
   * client does not read, at most this many bytes (a socket buffer); undefined for none.
   */
  directWindow?: number;
}

/** The client side of a memory pair. */
export interface MemoryPeer {
  /** Sends bytes (or text, UTF-8) to the server; ignored once either side closed. */
  write(data: Uint8Array | string): void;
  /** Everything the server wrote and this side has read, decoded as UTF-8. */
  text(): string;
  /** Calls `listener` after each chunk of new text arrives; returns a function removing it. */
  onData(listener: () => void): () => void;
  /** Stops reading: the server's writes wait (as with a client that never reads). */
  pause(): void;
  /** Reads again: what waited arrives and the waiting writes resolve. */
  resume(): void;
  /** Closes this side; the server's input ends and its writes fail. */
  close(): void;
  /** Whether either side closed. */
  readonly closed: boolean;
  /** Resolves once either side closed. */
  readonly done: Promise<void>;
}

/** The two sides of {@link memoryConnectionPair}. */
export interface MemoryPair {
  /** The server side: a {@link Connection}. */
  server: MemoryConnection;
  /** The client side. */
  client: MemoryPeer;
}

/**
 * Makes a connected pair.
 *
 * @example
 * ```ts
 * import { memoryConnectionPair } from "./memory.ts";
 * import { equal } from "node:assert/strict";
 *
 * const { server, client } = memoryConnectionPair();
 * const lines: string[] = [];
 * const reading = server.readLines((line) => {
 *   if (line.kind === "line") lines.push(line.text);
 * });
 * client.write("NICK alice\r\nUSER a 0 * :A\r\n");
 * await server.write(new TextEncoder().encode(":srv NOTICE * :hi\r\n"));
 * client.close();
 * await reading;
 * equal(lines.join("|"), "NICK alice|USER a 0 * :A");
 * equal(client.text(), ":srv NOTICE * :hi\r\n");
 * ```
 */
export function memoryConnectionPair(options: MemoryPairOptions = {}): MemoryPair {
  const server = new MemoryConnection(options);
  return { server, client: server.peer };
}

interface PendingWrite {
  data: Uint8Array;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The server side of a memory pair; see {@link memoryConnectionPair}. */
export class MemoryConnection implements Connection {
  readonly remoteAddress: string;
  readonly kind: TransportKind;
  /** The client side. */
  readonly peer: MemoryPeer;
  #closed = false;
  #paused: boolean;
  readonly #window: number | undefined;
  #directTaken = false;
  /** Bytes taken by direct writes while the client was not reading. */
  #buffered = 0;
  /** Writes waiting for the client to read, oldest first. */
  #pending: PendingWrite[] = [];
  /** Chunks from the client not yet read by the server, and the waiting reader. */
  #inbox: Uint8Array[] = [];
  #wake: (() => void) | null = null;
  /** Chunks held back while the client does not read. */
  #held: Uint8Array[] = [];
  #text = "";
  readonly #decoder = new TextDecoder();
  readonly #listeners = new Set<() => void>();
  readonly #done: Promise<void>;
  #markDone!: () => void;

  /** Use {@link memoryConnectionPair}. */
  constructor(options: MemoryPairOptions = {}) {
    this.remoteAddress = options.remoteAddress ?? "127.0.0.1";
    this.kind = options.kind ?? "tcp";
    this.#paused = options.paused ?? false;
    this.#window = options.directWindow;
    this.#done = new Promise((resolve) => (this.#markDone = resolve));
    // deno-lint-ignore no-this-alias
    const self = this;
    this.peer = {
      write: (data) => self.#fromClient(data),
      text: () => self.#text,
      onData(listener) {
        self.#listeners.add(listener);
        return () => self.#listeners.delete(listener);
      },
      pause: () => (self.#paused = true),
      resume: () => self.#resume(),
      close: () => self.close(),
      get closed() {
        return self.#closed;
      },
      done: this.#done,
    };
  }

  async readLines(onLine: (line: FramedLine) => void | Promise<void>): Promise<void> {
    const framer = new LineFramer();
    while (!this.#closed) {
      const chunk = this.#inbox.shift();
      if (chunk === undefined) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      for (const line of framer.push(chunk)) {
        if (this.#closed) return;
        const r = onLine(line);
        if (r) await r;
      }
    }
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new Deno.errors.BrokenPipe("peer closed"));
    if (!this.#paused) {
      this.#deliver(data);
      return Promise.resolve();
    }
    // the bytes must not change while they wait: a caller reuses its buffers once done
    const copy = data.slice();
    return new Promise((resolve, reject) => this.#pending.push({ data: copy, resolve, reject }));
  }

  /** Hands out the direct write once, when the pair was made with `directWindow`. */
  takeDirectWrite(): ((data: Uint8Array) => number) | undefined {
    if (this.#window === undefined || this.#directTaken) return undefined;
    this.#directTaken = true;
    return this.#direct;
  }

  readonly #direct = (data: Uint8Array): number => {
    if (this.#pending.length > 0) {
      // the rule of the fast path: bytes written now would overtake the pending write
      throw new Error("direct write while a write is in flight");
    }
    if (this.#closed) return 0;
    if (!this.#paused) {
      this.#deliver(data);
      return data.length;
    }
    const taken = Math.min(data.length, this.#window! - this.#buffered);
    if (taken <= 0) return 0;
    this.#buffered += taken;
    this.#held.push(data.slice(0, taken));
    return taken;
  };

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) p.reject(new Deno.errors.BrokenPipe("connection closed"));
    this.#wake?.();
    this.#wake = null;
    this.#markDone();
  }

  #fromClient(data: Uint8Array | string): void {
    if (this.#closed) return;
    this.#inbox.push(typeof data === "string" ? new TextEncoder().encode(data) : data.slice());
    this.#wake?.();
    this.#wake = null;
  }

  #resume(): void {
    this.#paused = false;
    const held = this.#held;
    this.#held = [];
    this.#buffered = 0;
    for (const chunk of held) this.#deliver(chunk);
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) {
      this.#deliver(p.data);
      p.resolve();
    }
  }

  #deliver(data: Uint8Array): void {
    this.#text += this.#decoder.decode(data, { stream: true });
    for (const listener of [...this.#listeners]) listener();
  }
}
