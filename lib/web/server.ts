/**
 * The HTTP side of the chat server: the browser app, the IRC-over-WebSocket endpoint
 * (`/irc`), `/healthz` and `/metrics`, on one listener. WebSocket clients are handed to the
 * chat server's `addConnection`, so they are ordinary clients with the same limits as TCP
 * ones.
 *
 * The listener is taken here rather than through `Deno.serve` so that every connection is
 * under control from its first byte (issue 18, finding 2): it takes a slot of the process's
 * descriptor budget (lib/transport/accept.ts), it is counted per address (`httpMaxPerIp`,
 * loopback exempt unless `limitLoopback`), its TLS handshake is bounded
 * (`tlsHandshakeTimeout`) and so is its request head, and the wait for the next request on a
 * kept-alive connection (`httpHeaderTimeout`). HTTP/1.1 only, GET and HEAD only.
 *
 * @module
 */

import { type Connection, isLoopback } from "../transport/connection.ts";
import { acceptLoop, sharedDescriptorBudget } from "../transport/accept.ts";
import { readRequestHead, type RequestHead, responseHead } from "../transport/http1.ts";
import { TLS_DESCRIPTORS_PER_CONNECTION, tlsOver, TlsTerminator } from "../transport/tls.ts";
import {
  acceptKey,
  chooseSubprotocol,
  validKey,
  WebSocketConnection,
  type WsMode,
} from "../transport/websocket.ts";
import { DEFAULT_LIMITS, type Limits } from "../server/limits.ts";
import { type Asset, loadAssets, STATIC_DIR } from "./assets.ts";
import { health, type MetricsSource, renderMetrics } from "./metrics.ts";
import { FILES_PATH, UPLOAD_PATH, type Uploads } from "./uploads.ts";

/** What the web server needs from the chat server (`ChatServer` provides it). */
export interface WebHost extends MetricsSource {
  /** Takes a new client connection, applying the connection limits. */
  addConnection(conn: Connection): void;
  /** The server's limits (timeouts, per-IP and descriptor limits of the web port). */
  readonly limits?: Limits;
  /** The server name (`--name`): a `Host` the WebSocket endpoint accepts. */
  readonly name?: string;
}

/** Where and how to serve. */
export interface WebOptions {
  /** Address to listen on. */
  hostname: string;
  /** Port (0 picks a free one). */
  port: number;
  /**
   * Origins (`https://chat.example.org`) allowed to open the WebSocket besides the page's own
   * host, for a reverse proxy that serves the app under another name.
   */
  allowedOrigins?: string[];
  /** Folder of the browser app (default `lib/web/static/`). */
  assetsDir?: URL;
  /** Serve HTTPS (and so WSS) with this certificate and key, in PEM. */
  tls?: { cert: string; key: string };
  /**
   * Host names (no port) the WebSocket endpoint accepts besides the server's own names and
   * addresses, for a reverse proxy or a DNS name of the server's.
   */
  allowedHosts?: string[];
  /** The upload route (soju.im/FILEHOST), when uploads are on. */
  uploads?: Uploads;
}

/** A running web server. */
export interface WebServer {
  readonly hostname: string;
  readonly port: number;
  /** Whether it serves HTTPS (and WSS). */
  readonly secure: boolean;
  /** Closes open WebSockets and the listener. */
  shutdown(): Promise<void>;
}

/** The WebSocket endpoint's path. */
export const WS_PATH = "/irc";

/**
 * Strict by default: only our own scripts, styles and connections; no inline code, no
 * plugins, no framing. `connect-src 'self'` covers ws:/wss: to the same host in CSP 3.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // avatars (draft/metadata-2) are images on other sites; the page sends no referrer
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

function respond(
  body: BodyInit | null,
  status: number,
  headers: Record<string, string> = {},
): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, ...headers } });
}

/**
 * Whether a WebSocket upgrade from `origin` may proceed. Browsers always send `Origin`; a
 * page on another site must not be able to drive a visitor's browser into the chat, so the
 * origin's host must be the host the request was made to, or be configured. Non-browser
 * clients send no `Origin` and are let through (they could not be stopped by it anyway).
 *
 * @example
 * ```ts
 * import { originAllowed } from "./server.ts";
 * originAllowed("http://10.0.0.5:8080", "10.0.0.5:8080", []); // true
 * originAllowed("http://evil.example", "10.0.0.5:8080", []); // false
 * originAllowed(null, "10.0.0.5:8080", []); // true
 * ```
 */
export function originAllowed(
  origin: string | null,
  host: string | null,
  allowed: readonly string[],
): boolean {
  if (origin === null) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes the opaque origin "null"
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  if (host !== null && url.host.toLowerCase() === host.toLowerCase()) return true;
  return allowed.some((a) => a.replace(/\/+$/, "").toLowerCase() === url.origin.toLowerCase());
}

/**
 * The host part of a `Host` header, lower-cased, without the port and without the brackets
 * of an IPv6 address; undefined when the header is malformed.
 *
 * @example
 * ```ts
 * import { hostOnly } from "./server.ts";
 * hostOnly("Chat.Example:8080"); // "chat.example"
 * hostOnly("[::1]:8080"); // "::1"
 * hostOnly("a b"); // undefined
 * ```
 */
export function hostOnly(header: string): string | undefined {
  const h = header.trim().toLowerCase();
  const m = h.match(/^\[([0-9a-f:.]+)\](?::\d{1,5})?$/) ?? h.match(/^([a-z0-9._-]+)(?::\d{1,5})?$/);
  return m ? m[1].replace(/\.$/, "") : undefined;
}

/**
 * The names the server answers to on the WebSocket endpoint: localhost, the loopback
 * addresses, the machine's host name (and its `.local` form), every interface address, the
 * server name and the extra ones given. A page served under any other name is a DNS
 * rebinding (a hostile name pointed at this server's address) and must not reach the chat.
 *
 * @example
 * ```ts
 * import { ownHostNames } from "./server.ts";
 * ownHostNames("chat.example", []).has("localhost"); // true
 * ```
 */
export function ownHostNames(
  serverName: string | undefined,
  extra: readonly string[],
): Set<string> {
  const names = new Set(["localhost", "127.0.0.1", "::1", "0::1"]);
  const add = (n: string | undefined) => {
    const h = n === undefined
      ? undefined
      : hostOnly(n.includes(":") && !n.startsWith("[") ? `[${n}]` : n);
    if (h) names.add(h);
  };
  add(serverName);
  for (const n of extra) add(n);
  try {
    const host = Deno.hostname();
    add(host);
    if (!host.includes(".")) add(`${host}.local`);
  } catch {
    // no permission to read it: the addresses still work
  }
  try {
    for (const i of Deno.networkInterfaces()) add(i.address.replace(/%.*$/, ""));
  } catch {
    // no permission: loopback and the configured names only
  }
  return names;
}

/** A request the handler answers by switching to WebSocket. */
export interface WebSocketAccept {
  kind: "websocket";
  mode: WsMode;
  /** The subprotocol to confirm, if the client offered one. */
  protocol: string | undefined;
}

/**
 * Builds the request handler (exported so tests can call it without a listener).
 *
 * @example
 * ```ts ignore
 * const handler = createHandler(server, await loadAssets(), []);
 * Deno.serve({ port: 8080 }, handler);
 * ```
 */
export function createHandler(
  host: MetricsSource,
  assets: ReadonlyMap<string, Asset>,
  allowedOrigins: readonly string[],
  hostNames: ReadonlySet<string> = ownHostNames(undefined, []),
): (req: Request) => Response | WebSocketAccept {
  return (req) => {
    const url = new URL(req.url);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return respond("method not allowed\n", 405, {
        allow: "GET, HEAD",
        "content-type": "text/plain; charset=utf-8",
      });
    }
    const path = url.pathname;
    if (path === WS_PATH) return upgrade(req);
    if (path === "/healthz") {
      const h = health(host.cluster, host.store);
      return respond(h.text, h.status, {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "no-store",
      });
    }
    if (path === "/metrics") {
      return respond(renderMetrics(host), 200, {
        "content-type": "text/plain; version=0.0.4; charset=utf-8",
        "cache-control": "no-store",
      });
    }
    const asset = assets.get(path === "/" ? "/index.html" : path);
    if (!asset) {
      return respond("not found\n", 404, { "content-type": "text/plain; charset=utf-8" });
    }
    // the URLs carry no version, so browsers revalidate every time; a match costs a 304
    const headers = {
      "content-type": asset.contentType,
      "cache-control": "no-cache",
      etag: asset.etag,
    };
    if (req.headers.get("if-none-match") === asset.etag) return respond(null, 304, headers);
    return respond(req.method === "HEAD" ? null : asset.body, 200, {
      ...headers,
      "content-length": String(asset.body.length),
    });
  };

  function upgrade(req: Request): Response | WebSocketAccept {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return respond("this is the IRC WebSocket endpoint\n", 426, {
        upgrade: "websocket",
        "content-type": "text/plain; charset=utf-8",
      });
    }
    const hostHeader = req.headers.get("host");
    const name = hostHeader === null ? undefined : hostOnly(hostHeader);
    if (name === undefined || !hostNames.has(name)) {
      return respond(
        "this server is not known by that name (Host); connect with its address or name\n",
        403,
        { "content-type": "text/plain; charset=utf-8" },
      );
    }
    if (!originAllowed(req.headers.get("origin"), hostHeader, allowedOrigins)) {
      return respond("origin not allowed\n", 403, { "content-type": "text/plain; charset=utf-8" });
    }
    if (
      req.headers.get("sec-websocket-version") !== "13" ||
      !validKey(req.headers.get("sec-websocket-key"))
    ) {
      return respond("a WebSocket upgrade needs Sec-WebSocket-Version 13 and a key\n", 400, {
        "sec-websocket-version": "13",
        "content-type": "text/plain; charset=utf-8",
      });
    }
    const choice = chooseSubprotocol(req.headers.get("sec-websocket-protocol"));
    if (!choice) {
      return respond("unsupported subprotocol; use text.ircv3.net\n", 400, {
        "content-type": "text/plain; charset=utf-8",
      });
    }
    return { kind: "websocket", mode: choice.mode, protocol: choice.protocol };
  }
}

/** Longest request head accepted (request line and fields). */
const MAX_HEAD = 16 * 1024;

/**
 * How many header timeouts a client has to take a response (the largest is the app's
 * script, a few hundred kilobytes).
 */
const RESPONSE_TIME_FACTOR = 6;

/** Most requests served on one kept-alive connection. */
const MAX_REQUESTS_PER_CONNECTION = 1000;

/**
 * After the server ends a connection, how long it goes on reading (and dropping) what the
 * client still sends, in all and with nothing arriving. Closing a socket with unread bytes
 * sends a reset, and a client that gets the reset before it reads the answer loses the
 * answer: Windows does, so a refused upload showed "connection reset" instead of its 413
 * (RFC 9112 §9.6; nginx's lingering close).
 */
const LINGER_MS = 5000;
const LINGER_IDLE_MS = 1000;

/**
 * Starts the web server and resolves once it listens. Throws like `Deno.listen` (AddrInUse).
 *
 * @example
 * ```ts ignore
 * import { startWeb } from "./server.ts";
 * const web = await startWeb(chatServer, { hostname: "0.0.0.0", port: 8080 });
 * console.log(`web chat: http://localhost:${web.port}/`);
 * await web.shutdown();
 * ```
 */
export async function startWeb(host: WebHost, options: WebOptions): Promise<WebServer> {
  const assets = await loadAssets(options.assetsDir ?? STATIC_DIR);
  const limits = host.limits ?? DEFAULT_LIMITS;
  const hostNames = ownHostNames(host.name, [
    ...(options.allowedHosts ?? []),
    ...(options.allowedOrigins ?? []).map((o) => {
      try {
        return new URL(o).hostname;
      } catch {
        return "";
      }
    }).filter((h) => h !== ""),
  ]);
  const handler = createHandler(host, assets, options.allowedOrigins ?? [], hostNames);
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  let terminator: TlsTerminator | undefined;
  try {
    if (options.tls) {
      terminator = new TlsTerminator({
        certPem: options.tls.cert,
        keyPem: options.tls.key,
        handshakeTimeoutMs: limits.tlsHandshakeTimeout * 1000,
      });
    }
  } catch (err) {
    listener.close();
    throw err;
  }
  const addr = listener.addr as Deno.NetAddr;
  const open = new Set<{ close(): void }>();
  const perIp = new Map<string, number>();
  let stopping = false;
  const scheme = options.tls ? "https" : "http";

  const serve = async (raw: Deno.Conn): Promise<void> => {
    const ip = (raw.remoteAddr as Deno.NetAddr).hostname ?? "unknown";
    const counted = !isLoopback(ip) || limits.limitLoopback !== 0;
    if (counted && (perIp.get(ip) ?? 0) >= limits.httpMaxPerIp) {
      // no TLS yet, so no readable answer over HTTPS: the close is the answer
      if (!terminator) {
        await raw.write(plainResponse(429, "too many connections from your address\n"))
          .catch(() => {});
      }
      raw.close();
      return;
    }
    if (counted) perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    const conn = terminator ? tlsOver(raw, terminator) : raw;
    let closed = false;
    const closeOnce = () => {
      if (closed) return;
      closed = true;
      conn.close();
      open.delete(holder);
      if (counted) {
        const left = (perIp.get(ip) ?? 1) - 1;
        if (left <= 0) perIp.delete(ip);
        else perIp.set(ip, left);
      }
    };
    const holder = { close: closeOnce };
    open.add(holder);
    let handedOver = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // the head must be complete in time, and a response taken in time, or the connection
    // is closed under the reader or writer
    const arm = (seconds: number) => {
      clearTimeout(timer);
      timer = setTimeout(closeOnce, seconds * 1000);
    };
    /** Ends our side, then reads and drops the client's bytes until it closes or time is up. */
    const lingerThenClose = async (): Promise<void> => {
      const deadline = Date.now() + LINGER_MS;
      // TLS has no half-close here; its client closes once it has the whole answer
      if (!terminator) await raw.closeWrite().catch(() => {});
      const buf = new Uint8Array(16 * 1024);
      try {
        for (;;) {
          const wait = Math.min(LINGER_IDLE_MS, deadline - Date.now());
          if (wait <= 0) return;
          arm(wait / 1000);
          if (await conn.read(buf) === null) return;
        }
      } catch {
        // closed by the timer, or the peer went away
      } finally {
        clearTimeout(timer);
      }
    };
    try {
      let pending: Uint8Array = new Uint8Array();
      for (let served = 0; served < MAX_REQUESTS_PER_CONNECTION && !stopping; served++) {
        arm(limits.httpHeaderTimeout);
        const got = await readRequestHead(conn, pending, MAX_HEAD);
        // a client that asks and never reads must not hold its socket either
        arm(limits.httpHeaderTimeout * RESPONSE_TIME_FACTOR);
        if (got.kind === "eof") return;
        if (got.kind === "too-large") {
          await conn.write(plainResponse(431, "request head too large\n")).catch(() => {});
          return;
        }
        if (got.kind === "bad") {
          await conn.write(plainResponse(400, `bad request: ${got.why}\n`)).catch(() => {});
          return;
        }
        const head = got.head;
        pending = got.rest;
        const keepAlive = wantsKeepAlive(head);
        const path = head.target.split("?")[0];
        const uploads = options.uploads;
        if (uploads?.enabled && path === UPLOAD_PATH) {
          // the one route that reads a body (lib/web/uploads.ts)
          const authority = head.headers.get("host") || `${addr.hostname}:${addr.port}`;
          const answer = await uploads.receive(
            head,
            conn,
            pending,
            ip,
            `${scheme}://${authority}`,
            () => arm(limits.httpHeaderTimeout),
          );
          arm(limits.httpHeaderTimeout * RESPONSE_TIME_FACTOR);
          pending = answer.rest;
          const again = keepAlive && answer.keepAlive;
          await writeResponse(conn, withSecurityHeaders(answer.response), false, again);
          if (!again) return;
          continue;
        }
        // no other request has a body; one that announces it would be read as the next request
        if (
          head.headers.has("transfer-encoding") ||
          Number(head.headers.get("content-length") ?? 0) !== 0
        ) {
          await conn.write(
            plainResponse(
              head.method === "GET" || head.method === "HEAD" ? 400 : 405,
              "request bodies are not accepted here\n",
              { allow: "GET, HEAD" },
            ),
          ).catch(() => {});
          return;
        }
        let req: Request;
        try {
          const authority = head.headers.get("host") || `${addr.hostname}:${addr.port}`;
          if (!head.target.startsWith("/")) throw new TypeError("not origin-form");
          req = new Request(`${scheme}://${authority}${head.target}`, {
            method: head.method === "HEAD" ? "HEAD" : head.method === "GET" ? "GET" : "OPTIONS",
            headers: head.headers,
          });
        } catch {
          await conn.write(plainResponse(400, "bad request target or Host\n")).catch(() => {});
          return;
        }
        let answer: Response | WebSocketAccept;
        try {
          answer = uploads?.enabled && path.startsWith(FILES_PATH) &&
              (head.method === "GET" || head.method === "HEAD")
            ? withSecurityHeaders(await uploads.serve(path, head.method === "HEAD"))
            : head.method === "GET" || head.method === "HEAD"
            ? handler(req)
            : respond("method not allowed\n", 405, {
              allow: "GET, HEAD",
              "content-type": "text/plain; charset=utf-8",
            });
        } catch (err) {
          console.error(`web: ${(err as Error).message}`);
          answer = respond("internal error\n", 500, {
            "content-type": "text/plain; charset=utf-8",
          });
        }
        if (!(answer instanceof Response)) {
          await switchToWebSocket(conn, head, answer, ip, pending, closeOnce);
          // from here the chat server's registration and ping timeouts watch it
          clearTimeout(timer);
          handedOver = true;
          return;
        }
        const again = keepAlive && head.method !== "OPTIONS" && answer.status !== 405;
        await writeResponse(conn, answer, head.method === "HEAD", again);
        if (!again) return;
      }
    } catch {
      // the peer went away, or the timer closed the connection
    } finally {
      clearTimeout(timer);
      if (!handedOver) {
        // a peer that has ended or gone makes the first read end it at once
        if (!closed && !stopping) await lingerThenClose();
        closeOnce();
      }
    }
  };

  const switchToWebSocket = async (
    conn: {
      read(b: Uint8Array): Promise<number | null>;
      write(d: Uint8Array): Promise<number>;
      close(): void;
    },
    head: RequestHead,
    answer: WebSocketAccept,
    ip: string,
    pending: Uint8Array,
    closeOnce: () => void,
  ): Promise<void> => {
    const fields: [string, string][] = [
      ["upgrade", "websocket"],
      ["connection", "Upgrade"],
      ["sec-websocket-accept", await acceptKey(head.headers.get("sec-websocket-key")!)],
    ];
    if (answer.protocol) fields.push(["sec-websocket-protocol", answer.protocol]);
    await conn.write(responseHead(101, fields));
    const ws = new WebSocketConnection(
      { read: (b) => conn.read(b), write: (d) => conn.write(d), close: closeOnce },
      ip,
      answer.mode,
      { pending },
    );
    host.addConnection(ws);
  };

  const loop = acceptLoop(listener, (raw) => {
    serve(raw);
  }, {
    budget: sharedDescriptorBudget(limits).port(`web:${addr.port}`),
    cost: terminator ? TLS_DESCRIPTORS_PER_CONNECTION : 1,
    stopped: () => stopping,
  });

  let stopped: Promise<void> | undefined;
  return {
    hostname: addr.hostname,
    port: addr.port,
    secure: options.tls !== undefined,
    shutdown() {
      stopped ??= (async () => {
        stopping = true;
        try {
          listener.close();
        } catch {
          // already closed
        }
        terminator?.close();
        for (const c of [...open]) c.close();
        await loop;
      })();
      return stopped;
    },
  };
}

/** The site-wide headers on a response that does not set its own (its own CSP stays). */
function withSecurityHeaders(res: Response): Response {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (!res.headers.has(name)) res.headers.set(name, value);
  }
  return res;
}

function wantsKeepAlive(head: RequestHead): boolean {
  const tokens = (head.headers.get("connection") ?? "").toLowerCase().split(",").map((t) =>
    t.trim()
  );
  if (tokens.includes("close")) return false;
  return head.version === "HTTP/1.1" || tokens.includes("keep-alive");
}

function plainResponse(
  status: number,
  body: string,
  extra: Record<string, string> = {},
): Uint8Array {
  const bytes = new TextEncoder().encode(body);
  const head = responseHead(status, [
    ...Object.entries(SECURITY_HEADERS),
    ...Object.entries(extra),
    ["content-type", "text/plain; charset=utf-8"],
    ["content-length", String(bytes.length)],
    ["connection", "close"],
  ]);
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

async function writeResponse(
  conn: { write(d: Uint8Array): Promise<number> },
  res: Response,
  headOnly: boolean,
  keepAlive: boolean,
): Promise<void> {
  const declared = res.headers.get("content-length");
  // an uploaded file (the one kind of answer with a Content-Disposition) goes out as it is
  // read, never whole in memory; the app's own assets go in one write with their head
  if (
    declared !== null && res.body !== null && !headOnly && res.status === 200 &&
    res.headers.has("content-disposition")
  ) {
    const fields: [string, string][] = [];
    for (const [name, value] of res.headers) {
      if (name !== "connection") fields.push([name, value]);
    }
    fields.push(["connection", keepAlive ? "keep-alive" : "close"]);
    await writeAll(conn, responseHead(res.status, fields));
    for await (const chunk of res.body) await writeAll(conn, chunk);
    return;
  }
  const body = res.body === null ? new Uint8Array() : new Uint8Array(await res.arrayBuffer());
  const fields: [string, string][] = [];
  for (const [name, value] of res.headers) {
    if (name !== "content-length" && name !== "connection") fields.push([name, value]);
  }
  const noBody = res.status === 304 || res.status === 204;
  const length = res.headers.get("content-length") ?? String(body.length);
  if (!noBody) fields.push(["content-length", length]);
  fields.push(["connection", keepAlive ? "keep-alive" : "close"]);
  const headBytes = responseHead(res.status, fields);
  const send = headOnly || noBody ? headBytes : join(headBytes, body);
  let off = 0;
  while (off < send.length) off += await conn.write(send.subarray(off));
}

async function writeAll(conn: { write(d: Uint8Array): Promise<number> }, bytes: Uint8Array) {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
