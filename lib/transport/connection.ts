/**
 * The one connection interface the server's sessions use, whatever carries the bytes
 * (TCP, TLS, WebSocket): read framed lines, write bytes, close.
 *
 * @module
 */

import type { FramedLine } from "../protocol/framer.ts";

/** Which transport a connection came in on (for logs and metrics). */
export type TransportKind = "tcp" | "tls" | "websocket";

/** A client connection as the server sees it. */
export interface Connection {
  /** The peer's IP address (no port). */
  readonly remoteAddress: string;
  /** What carries this connection. */
  readonly kind: TransportKind;
  /**
   * Reads until the peer closes or the connection is closed, handing each framed line to
   * `onLine` and awaiting it before reading on (so a slow handler backpressures the peer).
   * Resolves at end of input; never rejects.
   */
  readLines(onLine: (line: FramedLine) => void | Promise<void>): Promise<void>;
  /** Writes all of `data` (one or more CRLF-terminated lines). Rejects if the peer is gone. */
  write(data: Uint8Array): Promise<void>;
  /**
   * Writes some of `data` and resolves with how many bytes that was (at least 1; rejects if
   * the peer is gone): {@link Connection.write} without its own loop for the rest, so the
   * output queue, which keeps the bytes anyway, makes two promises per write instead of three.
   * Absent where the transport has no cheaper way than `write`.
   */
  writeSome?(data: Uint8Array): Promise<number>;
  /**
   * The fast path, present only where the transport may have it. Hands out, to the first
   * caller only, a function that writes as much of `data` as the connection takes at once,
   * without waiting, and returns how many bytes that was (0 if none); later calls (or a
   * connection without the fast path) get undefined. The one holder is the session's output
   * queue, which calls it only while no {@link Connection.write} is in flight and passes
   * the rest to `write`, so bytes can never overtake a pending write.
   */
  takeDirectWrite?(): ((data: Uint8Array) => number) | undefined;
  /**
   * Ends the sending side only (the peer reads end of input) while reading goes on; where the
   * transport has no half-close, absent.
   */
  closeWrite?(): void;
  /** Closes the connection; pending reads end. Safe to call twice. */
  close(): void;
}

/**
 * Formats an IP address for use as an IRC host: IPv6 addresses that start with ':' get a
 * leading '0' so they do not break the message syntax, and IPv4-mapped IPv6 is unwrapped.
 *
 * @example
 * ```ts
 * import { hostFromAddress } from "./connection.ts";
 * hostFromAddress("::1"); // "0::1"
 * hostFromAddress("::ffff:10.0.0.2"); // "10.0.0.2"
 * ```
 */
export function hostFromAddress(ip: string): string {
  if (ip.startsWith("::ffff:") && ip.includes(".")) return ip.slice(7);
  return ip.startsWith(":") ? "0" + ip : ip;
}

/**
 * Whether an address is loopback (exempt from per-IP limits by default).
 *
 * @example
 * ```ts
 * import { isLoopback } from "./connection.ts";
 * isLoopback("127.0.0.1"); // true
 * ```
 */
export function isLoopback(ip: string): boolean {
  return ip === "::1" || ip.startsWith("127.") || ip.startsWith("::ffff:127.");
}
