/**
 * The IRC listeners (plain TCP and TLS): binding them, the accept loops that wrap each new
 * socket in a {@link Connection}, and admission, the per-server and per-address connection
 * limits a new connection must pass.
 *
 * @module
 */

import { acceptLoop, sharedDescriptorBudget } from "../transport/accept.ts";
import { type Connection, isLoopback } from "../transport/connection.ts";
import { StreamConnection } from "../transport/tcp.ts";
import { descriptorsPerConnection, listenTls, TlsConnection } from "../transport/tls.ts";
import type { Limits } from "./limits.ts";

/** Where and what to listen on. */
export interface ListenConfig {
  host: string;
  port: number;
  plaintext?: boolean;
  tlsPort?: number;
  tls?: { certPem: string; keyPem: string };
}

/**
 * The bound listeners; each accepted connection goes to `onConnection`.
 *
 * @example
 * ```ts ignore
 * const listeners = new Listeners(config, (conn) => server.addConnection(conn));
 * listeners.start();
 * listeners.port; // the bound IRC port
 * listeners.close();
 * ```
 */
export class Listeners {
  readonly #config: ListenConfig;
  readonly #limits: Limits;
  readonly #onConnection: (conn: Connection) => void;
  #plain: Deno.Listener | undefined;
  #tls: Deno.Listener | undefined;
  #closed = false;
  /** Which listener {@link start} could not open, when it threw. */
  failed: "plain" | "tls" | undefined;

  constructor(config: ListenConfig, limits: Limits, onConnection: (conn: Connection) => void) {
    this.#config = config;
    this.#limits = limits;
    this.#onConnection = onConnection;
  }

  /** The bound IRC port; the TLS one on a TLS-only server; 0 before start. */
  get port(): number {
    const l = this.#plain ?? this.#tls;
    return (l?.addr as Deno.NetAddr | undefined)?.port ?? 0;
  }

  /** The bound IRC-over-TLS port, or 0 when there is no TLS listener. */
  get tlsPort(): number {
    return (this.#tls?.addr as Deno.NetAddr | undefined)?.port ?? 0;
  }

  /** Binds and starts accepting. Throws Deno.errors.AddrInUse and the like ({@link failed}). */
  start(): void {
    const config = this.#config;
    // the plain port first: "port in use" there reads as before TLS existed
    let plain: Deno.Listener | undefined;
    if (config.plaintext !== false) {
      try {
        plain = Deno.listen({ hostname: config.host, port: config.port });
      } catch (err) {
        this.failed = "plain";
        throw err;
      }
    }
    const tls = config.tls;
    let tlsListener: Deno.Listener | undefined;
    if (tls && (config.tlsPort ?? 0) !== 0) {
      try {
        tlsListener = listenTls({
          hostname: config.host,
          port: config.tlsPort!,
          certPem: tls.certPem,
          keyPem: tls.keyPem,
          handshakeTimeoutMs: this.#limits.tlsHandshakeTimeout * 1000,
        });
      } catch (err) {
        this.failed = "tls";
        plain?.close();
        throw err;
      }
    }
    this.failed = undefined;
    this.#plain = plain;
    this.#tls = tlsListener;
    if (plain) this.#acceptLoop(plain, (c) => new StreamConnection(c, "tcp"));
    if (tlsListener) {
      this.#acceptLoop(tlsListener, (c) => new TlsConnection(c));
    }
  }

  /**
   * Accepts until the listener closes; each connection takes its port's share of the
   * process's descriptor budget (transport/accept.ts), so one port's flood cannot starve
   * the others, and a full descriptor table only pauses the loop.
   */
  async #acceptLoop(listener: Deno.Listener, wrap: (c: Deno.Conn) => Connection): Promise<void> {
    const port = (listener.addr as Deno.NetAddr).port;
    await acceptLoop(listener, (raw) => this.#onConnection(wrap(raw)), {
      budget: sharedDescriptorBudget(this.#limits).port(`irc:${port}`),
      cost: descriptorsPerConnection(listener),
      stopped: () => this.#closed,
    });
  }

  /** Stops listening. */
  close(): void {
    this.#closed = true;
    for (const l of [this.#plain, this.#tls]) {
      try {
        l?.close();
      } catch {
        // already closed
      }
    }
  }
}

/**
 * Connection admission: a cap on connections in all and per address (loopback exempt
 * unless `limitLoopback`).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Admission } from "./listeners.ts";
 * const admission = new Admission({ maxConnections: 10, maxPerIp: 1, limitLoopback: 0 });
 * strictEqual(admission.admit("10.0.0.2", 0), undefined); // admitted
 * strictEqual(admission.admit("10.0.0.2", 1), "Too many connections from your IP address");
 * admission.release("10.0.0.2");
 * strictEqual(admission.admit("10.0.0.2", 0), undefined);
 * ```
 */
export class Admission {
  readonly #limits: Pick<Limits, "maxConnections" | "maxPerIp" | "limitLoopback">;
  readonly #perIp: Map<string, number> = new Map();

  constructor(limits: Pick<Limits, "maxConnections" | "maxPerIp" | "limitLoopback">) {
    this.#limits = limits;
  }

  /**
   * Counts a new connection from `ip` when there is room (`open` connections now), or returns
   * why not.
   */
  admit(ip: string, open: number): string | undefined {
    const l = this.#limits;
    if (open >= l.maxConnections) return "Server is full, try again later";
    if ((!isLoopback(ip) || l.limitLoopback) && (this.#perIp.get(ip) ?? 0) >= l.maxPerIp) {
      return "Too many connections from your IP address";
    }
    this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
    return undefined;
  }

  /** A connection from `ip` that was admitted has ended. */
  release(ip: string): void {
    const left = (this.#perIp.get(ip) ?? 1) - 1;
    if (left <= 0) this.#perIp.delete(ip);
    else this.#perIp.set(ip, left);
  }
}
