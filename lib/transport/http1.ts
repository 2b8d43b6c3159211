/**
 * The small part of HTTP/1.1 the web port needs: reading one request head (request line and
 * header fields) from a connection, bounded in size, and writing a response.
 *
 * Why not `Deno.serve`: it gives no control over a connection before its request is
 * complete. A client that sent half a request head held its socket for good, uncounted, and
 * a few thousand of them ran the process out of descriptors. Reading the head here lets the
 * web server put a deadline on it, count connections per address and take each socket from
 * the shared descriptor budget. The web port serves GET and HEAD, and one POST (uploads):
 * only that route reads a request body, with {@link readBody}, of a length declared up front
 * and checked against a limit before a byte of it is read. Any other request that announces
 * a body is refused and its connection closed.
 *
 * @module
 */

/** A parsed request head. */
export interface RequestHead {
  method: string;
  /** The request target as sent (`/path?query`). */
  target: string;
  /** "HTTP/1.1" or "HTTP/1.0". */
  version: string;
  headers: Headers;
}

/** What {@link readRequestHead} found. */
export type HeadResult =
  | { kind: "head"; head: RequestHead; rest: Uint8Array }
  | { kind: "eof" }
  | { kind: "too-large" }
  | { kind: "bad"; why: string };

/** What {@link readRequestHead} reads from. */
export interface ByteReader {
  read(buf: Uint8Array): Promise<number | null>;
}

const decoder = new TextDecoder("latin1");
const encoder = new TextEncoder();
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function endOfHead(buf: Uint8Array, from: number, to: number): number {
  for (let i = Math.max(3, from); i < to; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
  }
  return -1;
}

/**
 * Parses the text of a request head (without the blank line).
 *
 * @example
 * ```ts
 * import { parseRequestHead } from "./http1.ts";
 * const head = parseRequestHead("GET /irc HTTP/1.1\r\nHost: a:1");
 * typeof head === "object" && head.headers.get("host"); // "a:1"
 * parseRequestHead("nonsense"); // "bad request line"
 * ```
 */
export function parseRequestHead(text: string): RequestHead | string {
  const lines = text.split("\r\n");
  const m = lines[0].match(/^([A-Z]+) (\S+) (HTTP\/1\.[01])$/);
  if (!m) return "bad request line";
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return "bad header line";
    const name = line.slice(0, colon);
    // no obsolete line folding, no space before the colon: both are smuggling vectors
    if (!TOKEN.test(name)) return "bad header name";
    try {
      headers.append(name, line.slice(colon + 1).trim());
    } catch {
      return "bad header value";
    }
  }
  return { method: m[1], target: m[2], version: m[3], headers };
}

/**
 * Reads one request head. `pending` holds bytes already read past the previous request;
 * `rest` of the result holds bytes read past this head (a pipelined request, or the first
 * WebSocket frames). Never reads more than `maxBytes` of head.
 *
 * @example
 * ```ts ignore
 * const r = await readRequestHead(conn, new Uint8Array(), 16384);
 * if (r.kind === "head") console.log(r.head.method, r.head.target);
 * ```
 */
export async function readRequestHead(
  conn: ByteReader,
  pending: Uint8Array,
  maxBytes: number,
): Promise<HeadResult> {
  // most heads are a few hundred bytes: an idle or slow connection holds a small buffer, and
  // it grows only while a longer head keeps arriving
  const cap = maxBytes + 4;
  let buf = new Uint8Array(Math.min(cap, Math.max(1024, pending.length)));
  let len = Math.min(pending.length, buf.length);
  buf.set(pending.subarray(0, len));
  let end = endOfHead(buf, 0, len);
  while (end === -1) {
    if (len >= buf.length) {
      if (buf.length >= cap) return { kind: "too-large" };
      const bigger = new Uint8Array(Math.min(cap, buf.length * 4));
      bigger.set(buf.subarray(0, len));
      buf = bigger;
    }
    const n = await conn.read(buf.subarray(len));
    if (n === null) return { kind: "eof" };
    end = endOfHead(buf, len - 3, len + n);
    len += n;
  }
  // a request may start with empty lines (RFC 9112 section 2.2)
  let start = 0;
  while (start + 1 < end && buf[start] === 13 && buf[start + 1] === 10) start += 2;
  const parsed = parseRequestHead(decoder.decode(buf.subarray(start, end - 4)));
  if (typeof parsed === "string") return { kind: "bad", why: parsed };
  // what was pending came from the previous head's read, so it always fits in `buf`
  const rest = buf.slice(end, len);
  return { kind: "head", head: parsed, rest };
}

/** What {@link readBody} ended with. */
export type BodyResult =
  | { kind: "done"; rest: Uint8Array }
  | { kind: "eof"; received: number };

/**
 * Reads exactly `length` body bytes (a `Content-Length` body) and hands them to `sink` in
 * pieces as they arrive, so a body never sits in memory whole. `pending` holds bytes already
 * read past the head; `rest` of the result holds what came after the body. A connection
 * that ends early is `eof`.
 *
 * @example
 * ```ts
 * import { readBody } from "./http1.ts";
 * const chunks: Uint8Array[] = [];
 * const none = { read: () => Promise.resolve(null) };
 * const r = await readBody(none, new Uint8Array([1, 2, 3, 4]), 3, (c) => {
 *   chunks.push(c.slice());
 *   return Promise.resolve();
 * });
 * // r: { kind: "done", rest: Uint8Array [4] }; chunks: [Uint8Array [1, 2, 3]]
 * ```
 */
export async function readBody(
  conn: ByteReader,
  pending: Uint8Array,
  length: number,
  sink: (chunk: Uint8Array) => Promise<void>,
): Promise<BodyResult> {
  const first = pending.subarray(0, Math.min(length, pending.length));
  if (first.length > 0) await sink(first);
  let received = first.length;
  if (received === length) return { kind: "done", rest: pending.slice(length) };
  const buf = new Uint8Array(64 * 1024);
  while (received < length) {
    const n = await conn.read(buf.subarray(0, Math.min(buf.length, length - received)));
    if (n === null) return { kind: "eof", received };
    await sink(buf.subarray(0, n));
    received += n;
  }
  return { kind: "done", rest: new Uint8Array() };
}

const REASONS: Record<number, string> = {
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  204: "No Content",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  411: "Length Required",
  413: "Content Too Large",
  426: "Upgrade Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * The bytes of a response head: status line, the fields, a blank line.
 *
 * @example
 * ```ts
 * import { responseHead } from "./http1.ts";
 * new TextDecoder().decode(responseHead(404, [["content-length", "0"]]));
 * // "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
 * ```
 */
export function responseHead(status: number, fields: Iterable<[string, string]>): Uint8Array {
  let text = `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\n`;
  for (const [name, value] of fields) {
    // a value with a line break would start a field of its own
    text += `${name}: ${value.replace(/[\r\n]/g, " ")}\r\n`;
  }
  return encoder.encode(text + "\r\n");
}
