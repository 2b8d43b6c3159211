/**
 * TLS connections (the `ircs` port) behind the {@link Connection} interface: a TLS listener
 * with the server's certificate, and a connection that completes the handshake before it
 * reads lines. A peer that speaks plain text (or garbage) to this port fails the handshake:
 * it is logged in one line and closed, and the server goes on.
 *
 * @module
 */

import type { FramedLine } from "../protocol/framer.ts";
import { StreamConnection } from "./tcp.ts";

/** How long a peer has to complete the TLS handshake before it is dropped. */
export const HANDSHAKE_TIMEOUT_MS = 15000;

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
}

/**
 * Opens a TLS listener. Throws like `Deno.listenTls` (AddrInUse, a key that does not fit
 * the certificate).
 *
 * @example
 * ```ts ignore
 * import { listenTls, TlsConnection } from "./tls.ts";
 * const listener = listenTls({ hostname: "0.0.0.0", port: 6697, certPem, keyPem });
 * const conn = new TlsConnection(await listener.accept());
 * ```
 */
export function listenTls(opts: TlsListenOptions): Deno.TlsListener {
  return Deno.listenTls({
    hostname: opts.hostname,
    port: opts.port,
    cert: opts.certPem,
    key: opts.keyPem,
    // IRC only; no ALPN protocol is registered for it, so none is offered
  });
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
 * A TLS connection: completes the handshake (bounded by {@link HANDSHAKE_TIMEOUT_MS}) on
 * the first read, then behaves as a {@link StreamConnection} of kind "tls". A failed
 * handshake is one log line through `log` and the end of input.
 *
 * @example
 * ```ts ignore
 * import { TlsConnection } from "./tls.ts";
 * const conn = new TlsConnection(await tlsListener.accept());
 * await conn.readLines((line) => console.log(line));
 * ```
 */
export class TlsConnection extends StreamConnection {
  readonly #tls: Deno.TlsConn;
  readonly #log: (line: string) => void;
  readonly #timeoutMs: number;

  constructor(
    conn: Deno.TlsConn,
    log: (line: string) => void = console.log,
    timeoutMs = HANDSHAKE_TIMEOUT_MS,
  ) {
    super(conn, "tls");
    this.#tls = conn;
    this.#log = log;
    this.#timeoutMs = timeoutMs;
  }

  override async readLines(onLine: (line: FramedLine) => void | Promise<void>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.#tls.handshake(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("timed out")), this.#timeoutMs);
        }),
      ]);
    } catch (err) {
      this.#log(
        `TLS handshake with ${this.remoteAddress} failed: ${describeHandshakeError(err)}; closed`,
      );
      this.close();
      return;
    } finally {
      clearTimeout(timer);
    }
    await super.readLines(onLine);
  }
}
