/**
 * The client's one connection interface: read lines, write lines, close. The IRC client
 * logic only sees {@link Connection}; plain TCP and TLS both provide it through
 * {@link dial}, and tests may pass any other {@link Dialer}.
 *
 * @module
 */

import { LineFramer } from "../protocol/framer.ts";
import { dialTls } from "./tls.ts";

/**
 * Where to connect.
 *
 * @example
 * ```ts
 * import type { ServerTarget } from "./dial.ts";
 * const t: ServerTarget = { host: "localhost", port: 6667, tls: false };
 * ```
 */
export interface ServerTarget {
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  /** TCP port. */
  port: number;
  /** Whether to use TLS. */
  tls: boolean;
}

/**
 * A line-oriented connection to an IRC server.
 *
 * @example
 * ```ts
 * import { type Connection, dial } from "./dial.ts";
 * async function hello(c: Connection) {
 *   await c.write("PING :x");
 *   for await (const line of c.lines()) return line;
 * }
 * ```
 */
export interface Connection {
  /** The lines received, without CR/LF, until the peer closes or {@link close} is called. */
  lines(): AsyncIterable<string>;
  /** Sends one line; CRLF is appended. Resolves when written; rejects if the link is gone. */
  write(line: string): Promise<void>;
  /** Closes the connection; safe to call more than once. */
  close(): void;
}

/**
 * Opens a {@link Connection} to a target.
 *
 * @example
 * ```ts
 * import { type Dialer, dial } from "./dial.ts";
 * const dialer: Dialer = (t) => dial(t);
 * ```
 */
export type Dialer = (target: ServerTarget) => Promise<Connection>;

/** Generous limits for lines from servers: some send more than 512 bytes of body. */
const CLIENT_LIMITS = { maxBody: 16384, maxTags: 8191 };

/**
 * A {@link Connection} over any Deno stream connection (TCP or TLS).
 *
 * @example
 * ```ts
 * import { StreamConnection } from "./dial.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { port } = listener.addr as Deno.NetAddr;
 * const conn = new StreamConnection(await Deno.connect({ hostname: "127.0.0.1", port }));
 * conn.close();
 * listener.close();
 * ```
 */
export class StreamConnection implements Connection {
  readonly #conn: Deno.Conn;
  readonly #encoder = new TextEncoder();
  #closed = false;
  #writing: Promise<void> = Promise.resolve();

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  async *lines(): AsyncIterable<string> {
    const framer = new LineFramer(CLIENT_LIMITS);
    const buf = new Uint8Array(16384);
    while (!this.#closed) {
      let n: number | null;
      try {
        n = await this.#conn.read(buf);
      } catch {
        break;
      }
      if (n === null) break;
      for (const f of framer.push(buf.subarray(0, n))) {
        // a server's line with a NUL or bare CR is shown without them, not lost
        if (f.kind !== "too-long") yield f.text;
      }
    }
    this.close();
  }

  write(line: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("connection closed"));
    const bytes = this.#encoder.encode(line + "\r\n");
    // one write at a time, in order
    const p = this.#writing.then(async () => {
      let off = 0;
      while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
    });
    this.#writing = p.catch(() => {});
    return p;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Connects over TCP, or TLS when `target.tls` is set: a CA-signed certificate is accepted
 * as usual, a self-signed one only when pinned in the known-servers file (see
 * {@link dialTls} for `--fingerprint` and asking the user).
 *
 * @example
 * ```ts
 * import { dial } from "./dial.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const { port } = listener.addr as Deno.NetAddr;
 * const conn = await dial({ host: "127.0.0.1", port, tls: false });
 * conn.close();
 * listener.close();
 * ```
 */
export async function dial(target: ServerTarget): Promise<Connection> {
  if (target.tls) return await dialTls(target);
  const conn = await Deno.connect({ hostname: target.host, port: target.port });
  try {
    conn.setNoDelay(true);
  } catch {
    // not fatal
  }
  return new StreamConnection(conn);
}

/**
 * Tries `targets` in turn with `one` and returns the first connection made; the error of
 * the last one when none answers. A refusal to trust a certificate ends the attempt at once
 * (the user must decide, not the next server). Used for `--server a,b,c` (nodes of one
 * network).
 *
 * @example
 * ```ts
 * import { dialFirst, type ServerTarget } from "./dial.ts";
 * import { equal } from "node:assert/strict";
 * const tried: number[] = [];
 * const one = (t: ServerTarget) => {
 *   tried.push(t.port);
 *   return t.port === 2
 *     ? Promise.resolve({ lines: async function* () {}, write: async () => {}, close() {} })
 *     : Promise.reject(new Error("refused"));
 * };
 * await dialFirst([1, 2, 3].map((port) => ({ host: "h", port, tls: false })), one);
 * equal(tried.join(","), "1,2");
 * ```
 */
export async function dialFirst(
  targets: readonly ServerTarget[],
  one: Dialer,
  isFinal: (err: unknown) => boolean = () => false,
): Promise<Connection> {
  let last: unknown = new Error("no server to connect to");
  for (const t of targets) {
    try {
      return await one(t);
    } catch (err) {
      if (isFinal(err)) throw err;
      last = err;
    }
  }
  throw last;
}
