/**
 * TLS connections (the `ircs` port, and the web port with HTTPS) behind the {@link Connection}
 * interface. A peer that speaks plain text (or garbage) to this port fails the handshake: it
 * is logged in one line and closed, and the server goes on.
 *
 * Why the TLS is not done on the public socket itself: Deno 2.9's TLS stream cannot be closed
 * before its handshake completes. `close()` on a `Deno.TlsConn` that never received a
 * ClientHello leaves the socket open (ESTABLISHED, its descriptor held) for as long as the
 * peer stays silent, so a peer that connects and sends nothing costs a descriptor forever.
 * So the public port is a plain TCP listener, and each accepted socket is relayed over
 * loopback to a private `Deno.listenTls` listener on 127.0.0.1. The relay's two TCP sockets
 * are ours, and closing them is real: the private TLS stream then sees end of input, gives up
 * its handshake and frees itself. The cost is two more descriptors and a copy per connection,
 * on the TLS port only.
 *
 * @module
 */

import type { FramedLine } from "../protocol/framer.ts";
import { StreamConnection } from "./tcp.ts";

/** How long a peer has to complete the TLS handshake before it is dropped. */
export const HANDSHAKE_TIMEOUT_MS = 15000;

/** Bytes each direction of the relay reads at once. */
const RELAY_BUFFER = 4096;

/**
 * Options of {@link listenTls}.
 *
 * @example
 * ```ts
 * import type { TlsListenOptions } from "./tls.ts";
 * const o: TlsListenOptions = { hostname: "127.0.0.1", port: 0, certPem: "", keyPem: "" };
 * ```
 */
export interface TlsListenOptions {
  /** Address to listen on. */
  hostname: string;
  /** Port (0 picks a free one). */
  port: number;
  /** Certificate (chain), PEM. */
  certPem: string;
  /** Private key, PEM. */
  keyPem: string;
  /** How long a peer has to complete the handshake (default {@link HANDSHAKE_TIMEOUT_MS}). */
  handshakeTimeoutMs?: number;
}

/**
 * The private side of a TLS port: a `Deno.listenTls` listener on loopback that relayed
 * connections arrive at, matched to their public socket by the relay's local port.
 */
export class TlsTerminator {
  readonly handshakeTimeoutMs: number;
  readonly #listener: Deno.TlsListener;
  readonly #port: number;
  /** Private TLS connections that arrived before their relay asked for them. */
  readonly #arrived = new Map<
    number,
    { conn: Deno.TlsConn; timer: ReturnType<typeof setTimeout> }
  >();
  readonly #waiting = new Map<number, (conn: Deno.TlsConn) => void>();
  #closed = false;

  constructor(opts: { certPem: string; keyPem: string; handshakeTimeoutMs?: number }) {
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    this.#listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: opts.certPem,
      key: opts.keyPem,
      // IRC only; no ALPN protocol is registered for it, so none is offered
    });
    this.#port = (this.#listener.addr as Deno.NetAddr).port;
    this.#run();
  }

  async #run(): Promise<void> {
    for (;;) {
      let conn: Deno.TlsConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        if (this.#closed) return;
        // out of descriptors: the relay that waits for this one times out and closes
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const port = (conn.remoteAddr as Deno.NetAddr).port;
      const waiter = this.#waiting.get(port);
      if (waiter) {
        this.#waiting.delete(port);
        waiter(conn);
      } else {
        // claimed at once by its relay in the normal case; never, if it is not from a relay
        const timer = setTimeout(() => {
          this.#arrived.delete(port);
          conn.close();
        }, this.handshakeTimeoutMs);
        this.#arrived.set(port, { conn, timer });
      }
    }
  }

  /**
   * Starts relaying `outer` (an accepted public socket) to the private listener. Resolves
   * with the private TLS connection once the handshake is done; rejects (everything closed)
   * when it fails or takes longer than the handshake timeout.
   */
  async relay(outer: Deno.Conn, relay: Relay): Promise<Deno.TlsConn> {
    if (this.#closed) throw new Deno.errors.BadResource("TLS listener closed");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), this.handshakeTimeoutMs);
    });
    try {
      const inner = await Promise.race([
        Deno.connect({ hostname: "127.0.0.1", port: this.#port }),
        timeout,
      ]);
      relay.inner = inner;
      if (relay.closed) throw new Deno.errors.BadResource("closed");
      const key = (inner.localAddr as Deno.NetAddr).port;
      const early = this.#arrived.get(key);
      this.#arrived.delete(key);
      clearTimeout(early?.timer);
      const tls = early?.conn ?? await Promise.race([
        new Promise<Deno.TlsConn>((resolve) => this.#waiting.set(key, resolve)),
        timeout,
      ]).finally(() => this.#waiting.delete(key));
      relay.tls = tls;
      if (relay.closed) throw new Deno.errors.BadResource("closed");
      pump(outer, inner, relay);
      pump(inner, outer, relay);
      await Promise.race([tls.handshake(), timeout]);
      return tls;
    } catch (err) {
      relay.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the private listener. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const { conn, timer } of this.#arrived.values()) {
      clearTimeout(timer);
      conn.close();
    }
    this.#arrived.clear();
  }
}

/** The sockets of one relayed connection; closing it closes all of them for real. */
export class Relay {
  inner: Deno.Conn | undefined;
  tls: Deno.TlsConn | undefined;
  closed = false;
  constructor(readonly outer: Deno.Conn) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // the two TCP sockets first: the TLS stream can only let go once its input has ended
    for (const c of [this.outer, this.inner, this.tls]) {
      try {
        c?.close();
      } catch {
        // already closed
      }
    }
  }
}

async function pump(from: Deno.Conn, to: Deno.Conn, relay: Relay): Promise<void> {
  const buf = new Uint8Array(RELAY_BUFFER);
  try {
    while (!relay.closed) {
      const n = await from.read(buf);
      if (n === null) break;
      let off = 0;
      while (off < n) off += await to.write(buf.subarray(off, n));
    }
  } catch {
    // either side went away
  }
  relay.close();
}

/**
 * A relayed TLS connection with the `Deno.Conn` methods a {@link StreamConnection} uses:
 * reads and writes go to the private TLS stream once the handshake is done, `close()`
 * closes every socket of the relay. `ready` settles when the handshake does.
 */
export class RelayedTlsConn {
  readonly remoteAddr: Deno.Addr;
  readonly localAddr: Deno.Addr;
  readonly ready: Promise<Deno.TlsConn>;
  readonly #relay: Relay;

  constructor(outer: Deno.Conn, terminator: TlsTerminator) {
    this.remoteAddr = outer.remoteAddr;
    this.localAddr = outer.localAddr;
    this.#relay = new Relay(outer);
    this.ready = terminator.relay(outer, this.#relay);
    // whoever awaits `ready` sees the failure; nobody awaiting it is no error
    this.ready.catch(() => {});
  }

  async read(buf: Uint8Array): Promise<number | null> {
    return (await this.ready).read(buf);
  }

  async write(data: Uint8Array): Promise<number> {
    return (await this.ready).write(data);
  }

  close(): void {
    this.#relay.close();
  }
}

const TERMINATORS = new WeakMap<Deno.Conn, TlsTerminator>();
const TLS_LISTENERS = new WeakSet<Deno.Listener>();

/** Descriptors one relayed TLS connection holds: the public socket, the relay's two ends. */
export const TLS_DESCRIPTORS_PER_CONNECTION = 3;

/**
 * Descriptors a connection accepted from `listener` costs: more on a {@link listenTls}
 * port, whose connections are relayed.
 *
 * @example
 * ```ts
 * import { descriptorsPerConnection } from "./tls.ts";
 * const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * descriptorsPerConnection(l); // 1
 * l.close();
 * ```
 */
export function descriptorsPerConnection(listener: Deno.Listener): number {
  return TLS_LISTENERS.has(listener) ? TLS_DESCRIPTORS_PER_CONNECTION : 1;
}

/**
 * Opens a TLS port: a TCP listener whose accepted connections {@link TlsConnection} turns
 * into TLS (see the module notes for why). Throws like `Deno.listen` (AddrInUse) and like
 * `Deno.listenTls` (a key that does not fit the certificate).
 *
 * @example
 * ```ts ignore
 * import { listenTls, TlsConnection } from "./tls.ts";
 * const listener = listenTls({ hostname: "0.0.0.0", port: 6697, certPem, keyPem });
 * const conn = new TlsConnection(await listener.accept());
 * ```
 */
export function listenTls(opts: TlsListenOptions): Deno.Listener {
  const listener = Deno.listen({ hostname: opts.hostname, port: opts.port });
  let terminator: TlsTerminator;
  try {
    terminator = new TlsTerminator(opts);
  } catch (err) {
    listener.close();
    throw err;
  }
  const accept = listener.accept.bind(listener);
  const close = listener.close.bind(listener);
  // own properties: the listener stays a Deno.Listener for its owner
  Object.defineProperty(listener, "accept", {
    value: async () => {
      const conn = await accept();
      TERMINATORS.set(conn, terminator);
      return conn;
    },
  });
  Object.defineProperty(listener, "close", {
    value: () => {
      terminator.close();
      close();
    },
  });
  TLS_LISTENERS.add(listener);
  return listener;
}

/**
 * The relayed TLS connection for a socket accepted from a {@link listenTls} listener (or from
 * any TCP listener, with a terminator of its own).
 *
 * @example
 * ```ts ignore
 * const tls = tlsOver(await listener.accept());
 * await tls.ready; // the handshake is done
 * ```
 */
export function tlsOver(conn: Deno.Conn, terminator?: TlsTerminator): RelayedTlsConn {
  const t = terminator ?? TERMINATORS.get(conn);
  if (!t) throw new TypeError("not a connection from listenTls()");
  return new RelayedTlsConn(conn, t);
}

/**
 * Explains a failed server-side handshake in a few words for the log.
 *
 * @example
 * ```ts
 * import { describeHandshakeError } from "./tls.ts";
 * describeHandshakeError(new Error("received corrupt message of type InvalidContentType"));
 * // "not TLS (plain text on the TLS port?)"
 * ```
 */
export function describeHandshakeError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/corrupt message|InvalidContentType|InvalidMessage|wrong version/i.test(msg)) {
    return "not TLS (plain text on the TLS port?)";
  }
  if (/timed out/.test(msg)) return "handshake timed out";
  if (/eof|reset|closed|broken pipe/i.test(msg)) return "the peer went away during the handshake";
  return msg.split("\n")[0].slice(0, 200);
}

/**
 * A TLS connection: completes the handshake (bounded by the listener's handshake timeout)
 * before the first read, then behaves as a {@link StreamConnection} of kind "tls". A failed
 * handshake is one log line through `log`, every socket of it closed, and the end of input.
 *
 * @example
 * ```ts ignore
 * import { TlsConnection } from "./tls.ts";
 * const conn = new TlsConnection(await tlsListener.accept());
 * await conn.readLines((line) => console.log(line));
 * ```
 */
export class TlsConnection extends StreamConnection {
  readonly #tls: RelayedTlsConn;
  readonly #log: (line: string) => void;

  /** `conn` is a connection accepted from a {@link listenTls} listener. */
  constructor(conn: Deno.Conn, log: (line: string) => void = console.log) {
    const tls = tlsOver(conn);
    super(tls as unknown as Deno.Conn, "tls");
    this.#tls = tls;
    this.#log = log;
  }

  override async readLines(onLine: (line: FramedLine) => void | Promise<void>): Promise<void> {
    try {
      await this.#tls.ready;
    } catch (err) {
      this.#log(
        `TLS handshake with ${this.remoteAddress} failed: ${describeHandshakeError(err)}; closed`,
      );
      this.close();
      return;
    }
    await super.readLines(onLine);
  }
}
