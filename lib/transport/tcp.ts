/**
 * TCP (and TLS, which Deno exposes with the same `Deno.Conn` shape) connections behind the
 * {@link Connection} interface.
 *
 * @module
 */

import { type FramedLine, LineFramer } from "../protocol/framer.ts";
import type { Connection, TransportKind } from "./connection.ts";
import { pollLines, type PollReader } from "./socket_poll.ts";
import { directSendFd, sendNow } from "./socket_send.ts";

// Every idle connection holds its read buffer in a pending read, so it starts small (most
// input is short lines) and grows once a read fills it (pastes, long tagged lines).
const READ_BUFFER_SMALL = 512;
const READ_BUFFER_LARGE = 4096;

/** A plaintext TLS record: fatal alert, handshake_failure (RFC 8446 section 6). */
const TLS_HANDSHAKE_FAILURE_ALERT = new Uint8Array([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28]);

/**
 * Whether the first bytes from a peer are a TLS handshake record (content type 22, major
 * version 3). No IRC line starts with the control character 0x16, so this never
 * misfires on a real IRC client.
 *
 * @example
 * ```ts
 * import { isTlsHandshake } from "./tcp.ts";
 * isTlsHandshake(new Uint8Array([0x16, 0x03, 0x01])); // true
 * isTlsHandshake(new TextEncoder().encode("NICK a")); // false
 * ```
 */
export function isTlsHandshake(bytes: Uint8Array): boolean {
  return bytes[0] === 0x16 && bytes[1] === 0x03;
}

/**
 * Wraps an accepted `Deno.Conn` as a {@link Connection}.
 *
 * @example
 * ```ts ignore
 * import { StreamConnection } from "./tcp.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = new StreamConnection(await listener.accept(), "tcp");
 * await conn.readLines((line) => console.log(line));
 * ```
 */
export class StreamConnection implements Connection {
  readonly remoteAddress: string;
  readonly kind: TransportKind;
  readonly #conn: Deno.Conn;
  #closed = false;
  /** The socket for direct sends (-1 = none: TLS, or not available here). */
  readonly #fd: number;
  /** Whether the direct write has been handed out (it has one holder). */
  #directTaken = false;
  /** Input read through the shared epoll (socket_poll.ts), when the descriptor allows it. */
  #poll: PollReader | undefined = undefined;

  readonly #log: (line: string) => void;

  /** `log` receives one line when a TLS client knocks on the plain-text port. */
  constructor(conn: Deno.Conn, kind: TransportKind, log: (line: string) => void = console.log) {
    this.#conn = conn;
    this.kind = kind;
    this.#log = log;
    const addr = conn.remoteAddr as Deno.NetAddr;
    this.remoteAddress = addr.hostname ?? "unknown";
    this.#fd = kind === "tcp" ? directSendFd(conn) : -1;
    if (kind === "tcp") {
      try {
        (conn as Deno.TcpConn).setNoDelay(true);
      } catch {
        // not every platform lets us; Nagle only adds latency
      }
    }
  }

  readLines(onLine: (line: FramedLine) => void | Promise<void>): Promise<void> {
    if (this.#closed) return Promise.resolve();
    // an idle connection then holds no pending read of its own (see socket_poll.ts), nor an
    // async frame waiting for one
    if (this.#fd >= 0 && this.#poll === undefined) {
      this.#poll = pollLines(this.#fd, onLine, this.#tlsKnock);
      if (this.#poll !== undefined) return this.#poll.done;
    }
    return this.#readLoop(onLine);
  }

  /** The ordinary path: one pending `read()` at a time, into a buffer of this connection's. */
  async #readLoop(onLine: (line: FramedLine) => void | Promise<void>): Promise<void> {
    const framer = new LineFramer();
    let buf = new Uint8Array(READ_BUFFER_SMALL);
    let first = this.kind === "tcp";
    try {
      while (!this.#closed) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        if (first) {
          first = false;
          const knock = this.#tlsKnock(buf.subarray(0, n));
          if (knock) return await knock;
        }
        const lines = framer.push(buf.subarray(0, n));
        // the framer copied what it keeps, so the buffer can be swapped for a larger one
        if (n === buf.length && buf.length < READ_BUFFER_LARGE) {
          buf = new Uint8Array(READ_BUFFER_LARGE);
        }
        for (const line of lines) {
          if (this.#closed) return;
          const r = onLine(line);
          if (r) await r;
        }
      }
    } catch {
      // reset by peer, closed under us, TLS handshake garbage: all mean end of input
    }
  }

  /**
   * When the first bytes on the plain-text port are a TLS handshake: tells the client with an
   * alert, then closes; resolves once closed. Undefined for any other first bytes.
   */
  readonly #tlsKnock = (bytes: Uint8Array): Promise<void> | undefined => {
    if (this.kind !== "tcp" || bytes.length < 2 || !isTlsHandshake(bytes)) return undefined;
    this.#log(
      `TLS handshake from ${this.remoteAddress} on the plain-text port; closed ` +
        "(the client should use the TLS port)",
    );
    // a TLS alert tells the client's TLS library what happened ("handshake failure")
    // instead of leaving it waiting or reporting garbage
    return this.#conn.write(TLS_HANDSHAKE_FAILURE_ALERT).catch(() => {}).then(() => this.close());
  };

  /**
   * The direct write (see {@link Connection.takeDirectWrite}), to the first caller only:
   * sends what the socket takes at once (see {@link sendNow}), 0 once closed. Undefined when
   * this connection has no descriptor for direct sends, or it was already taken.
   */
  takeDirectWrite(): ((data: Uint8Array) => number) | undefined {
    if (this.#fd < 0 || this.#directTaken) return undefined;
    this.#directTaken = true;
    return this.#sendDirect;
  }

  /** Whether this connection can write straight to its socket (TCP, checked descriptor). */
  get direct(): boolean {
    return this.#fd >= 0;
  }

  // bound once, at the first take; no closure per write
  readonly #sendDirect = (data: Uint8Array): number => {
    // once closed, the descriptor number may already belong to another connection
    if (this.#closed) return 0;
    return sendNow(this.#fd, data);
  };

  write(data: Uint8Array): Promise<void> {
    // the usual case is one complete write: no extra async frame for it
    return this.#conn.write(data).then((n) => n < data.length ? this.#rest(data, n) : undefined);
  }

  writeSome(data: Uint8Array): Promise<number> {
    return this.#conn.write(data);
  }

  async #rest(data: Uint8Array, written: number): Promise<void> {
    let off = written;
    while (off < data.length) off += await this.#conn.write(data.subarray(off));
  }

  closeWrite(): void {
    if (this.#closed) return;
    this.#conn.closeWrite().catch(() => {
      // the peer is gone already, or this stream has no half-close: close() still ends it
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // out of the epoll before the descriptor is closed: its number may be reused at once
    this.#poll?.stop();
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer
    }
  }
}
