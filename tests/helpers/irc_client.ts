/**
 * A raw IRC test client, over a real TCP socket or the client side of an in-memory
 * connection pair (lib/transport/memory.ts): send lines, wait for lines matching a pattern
 * (bounded by a timeout), and register in one call.
 *
 * @module
 */

import { connect as nodeConnect, type Socket } from "node:net";
import { type IrcMessage, parseMessage } from "../../lib/protocol/message.ts";
import type { MemoryPeer } from "../../lib/transport/memory.ts";

const encoder = new TextEncoder();

/** Default time to wait for an expected line. */
export const WAIT_MS = 5000;

/** What a test client needs of a socket (a Deno.TcpConn, or a node socket from another address). */
export interface TestSocket {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

/** A node:net socket as a {@link TestSocket} (node:net can pick the local address). */
function nodeSocket(socket: Socket): TestSocket {
  const chunks: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  socket.on("data", (d: Uint8Array) => {
    chunks.push(new Uint8Array(d));
    notify();
  });
  socket.on("close", () => {
    ended = true;
    notify();
  });
  socket.on("error", () => {});
  return {
    async read(buffer) {
      while (chunks.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
      const chunk = chunks.shift();
      if (!chunk) return null;
      const n = Math.min(chunk.length, buffer.length);
      buffer.set(chunk.subarray(0, n));
      if (n < chunk.length) chunks.unshift(chunk.subarray(n));
      return n;
    },
    write: (bytes) =>
      new Promise((resolve, reject) =>
        socket.write(bytes, (err) => (err ? reject(err) : resolve(bytes.length)))
      ),
    close: () => socket.destroy(),
  };
}

/**
 * Whether this machine can connect from `address` (Linux routes all of 127.0.0.0/8 to
 * loopback; macOS only 127.0.0.1), so tests that need several source addresses can skip.
 */
export async function canConnectFrom(address: string): Promise<boolean> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const c = await TestClient.connectFrom(port, address).catch(() => undefined);
    if (!c) return false;
    (await listener.accept()).close();
    await c.close();
    return true;
  } finally {
    listener.close();
  }
}

/**
 * One test connection.
 *
 * @example
 * ```ts ignore
 * const alice = await TestClient.connect(port);
 * await alice.register("alice");
 * alice.send("JOIN #t");
 * await alice.expect(/ 366 /);
 * alice.close();
 * ```
 */
export class TestClient {
  /** Every line received so far, in order. */
  readonly lines: string[] = [];
  #cursor = 0;
  #waiters: (() => void)[] = [];
  #closed = false;
  #partial = "";
  readonly done: Promise<void>;
  readonly #write: (bytes: Uint8Array) => void;
  readonly #close: () => void;

  private constructor(
    write: (bytes: Uint8Array) => void,
    close: () => void,
    read: (client: TestClient) => Promise<void>,
  ) {
    this.#write = write;
    this.#close = close;
    this.done = read(this).then(() => {
      this.#closed = true;
      this.#wake();
    });
  }

  /** Connects to 127.0.0.1:port. */
  static async connect(port: number): Promise<TestClient> {
    return TestClient.#overSocket(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  static #overSocket(conn: TestSocket): TestClient {
    return new TestClient(
      (bytes) => void conn.write(bytes).catch(() => {}),
      () => {
        try {
          conn.close();
        } catch {
          // already closed
        }
      },
      async (client) => {
        const decoder = new TextDecoder();
        const chunk = new Uint8Array(65536);
        try {
          for (;;) {
            const n = await conn.read(chunk);
            if (n === null) break;
            client.#received(decoder.decode(chunk.subarray(0, n), { stream: true }));
          }
        } catch {
          // closed by us or reset
        }
      },
    );
  }

  /** Talks over the client side of an in-memory pair (the server runs in this process). */
  static over(peer: MemoryPeer): TestClient {
    return new TestClient((bytes) => peer.write(bytes), () => peer.close(), async (client) => {
      let seen = 0;
      const pull = () => {
        const text = peer.text();
        if (text.length > seen) {
          client.#received(text.slice(seen));
          seen = text.length;
        }
      };
      const stop = peer.onData(pull);
      pull();
      await peer.done;
      stop();
      pull();
    });
  }

  /**
   * Connects to 127.0.0.1:port from another loopback address (e.g. 127.0.0.2), to test what
   * the server counts per source address.
   */
  static connectFrom(port: number, localAddress: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = nodeConnect({ host: "127.0.0.1", port, localAddress });
      socket.once("connect", () => resolve(TestClient.#overSocket(nodeSocket(socket))));
      socket.once("error", reject);
    });
  }

  /** Whether the server closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  #received(text: string): void {
    let buf = this.#partial + text;
    let i;
    while ((i = buf.indexOf("\n")) !== -1) {
      this.lines.push(buf.slice(0, i).replace(/\r$/, ""));
      buf = buf.slice(i + 1);
    }
    this.#partial = buf;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Sends one or more lines (CRLF added). */
  send(...lines: string[]): void {
    this.sendRaw(encoder.encode(lines.map((l) => l + "\r\n").join("")));
  }

  /** Sends raw bytes. */
  sendRaw(bytes: Uint8Array): void {
    this.#write(bytes);
  }

  /**
   * Waits for the next line (after the previous match) that matches; returns it. Lines before
   * it are skipped. Fails after `ms` with the lines seen.
   */
  async expect(pattern: RegExp | string, ms = WAIT_MS): Promise<string> {
    const test = (l: string) => typeof pattern === "string" ? l === pattern : pattern.test(l);
    const deadline = Date.now() + ms;
    for (;;) {
      while (this.#cursor < this.lines.length) {
        const line = this.lines[this.#cursor++];
        if (test(line)) return line;
      }
      if (this.#closed) {
        throw new Error(`connection closed while waiting for ${pattern}; got:\n${this.tail()}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; got:\n${this.tail()}`);
      await this.#nextEvent(left);
    }
  }

  /** Like {@link expect}, parsed. */
  async expectMessage(pattern: RegExp | string, ms = WAIT_MS): Promise<IrcMessage> {
    return parseMessage(await this.expect(pattern, ms))!;
  }

  /** Waits until the server closes the connection. */
  async expectClosed(ms = WAIT_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`connection still open; got:\n${this.tail()}`);
      await this.#nextEvent(left);
    }
  }

  /** Collects the lines up to and including one matching `end`. */
  async collectUntil(end: RegExp, ms = WAIT_MS): Promise<string[]> {
    const start = this.#cursor;
    await this.expect(end, ms);
    return this.lines.slice(start, this.#cursor);
  }

  /** Asserts that no line matching `pattern` arrives after a PING round trip. */
  async expectNone(pattern: RegExp): Promise<void> {
    const token = `sync${Math.random().toString(36).slice(2)}`;
    this.send(`PING ${token}`);
    const lines = await this.collectUntil(new RegExp(`PONG \\S+ :?${token}$`));
    const bad = lines.find((l) => pattern.test(l));
    if (bad) throw new Error(`unexpected line: ${bad}`);
  }

  /** Skips everything received so far. */
  skip(): void {
    this.#cursor = this.lines.length;
  }

  #nextEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let woken = false;
      let disarm = () => {};
      const done = () => {
        if (woken) return;
        woken = true;
        disarm();
        resolve();
      };
      // the waiter goes in first: Deno's setTimeout() can run pending microtasks, and with
      // an in-process server those may deliver the very lines this waits for
      this.#waiters.push(done);
      const timer = setTimeout(done, ms);
      if (woken) clearTimeout(timer);
      else disarm = () => clearTimeout(timer);
    });
  }

  /** The last lines received, for error messages. */
  tail(n = 15): string {
    return this.lines.slice(-n).join("\n");
  }

  /** Registers with NICK/USER and waits for the end of the welcome burst. */
  async register(nick: string, caps: string[] = []): Promise<void> {
    if (caps.length > 0) {
      this.send("CAP LS 302", `NICK ${nick}`, `USER ${nick} 0 * :${nick} Tester`);
      this.send(`CAP REQ :${caps.join(" ")}`);
      await this.expect(/ CAP \S+ ACK /);
      this.send("CAP END");
    } else {
      this.send(`NICK ${nick}`, `USER ${nick} 0 * :${nick} Tester`);
    }
    await this.expect(/ (376|422) /);
  }

  /** Closes the connection (idempotent) and waits for the reader to stop. */
  async close(): Promise<void> {
    this.#close();
    await this.done;
  }
}
