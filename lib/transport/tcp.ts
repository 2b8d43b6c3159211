/**
 * TCP (and TLS, which Deno exposes with the same `Deno.Conn` shape) connections behind the
 * {@link Connection} interface.
 *
 * @module
 */

import { type FramedLine, LineFramer } from "../protocol/framer.ts";
import type { Connection, TransportKind } from "./connection.ts";

const READ_BUFFER = 4096;

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

  constructor(conn: Deno.Conn, kind: TransportKind) {
    this.#conn = conn;
    this.kind = kind;
    const addr = conn.remoteAddr as Deno.NetAddr;
    this.remoteAddress = addr.hostname ?? "unknown";
    if (kind === "tcp") {
      try {
        (conn as Deno.TcpConn).setNoDelay(true);
      } catch {
        // not every platform lets us; Nagle only adds latency
      }
    }
  }

  async readLines(onLine: (line: FramedLine) => void | Promise<void>): Promise<void> {
    const framer = new LineFramer();
    const buf = new Uint8Array(READ_BUFFER);
    try {
      while (!this.#closed) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        const lines = framer.push(buf.subarray(0, n));
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

  async write(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) {
      const n = await this.#conn.write(off === 0 ? data : data.subarray(off));
      off += n;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer
    }
  }
}
