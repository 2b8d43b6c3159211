/**
 * The HTTP side of the chat server: the browser app, the IRC-over-WebSocket endpoint
 * (`/irc`), `/healthz` and `/metrics`, on one `Deno.serve` listener. WebSocket clients are
 * handed to the chat server's `addConnection`, so they are ordinary clients with the same
 * limits as TCP ones.
 *
 * @module
 */

import type { Connection } from "../transport/connection.ts";
import { chooseSubprotocol, WebSocketConnection } from "../transport/websocket.ts";
import { type Asset, loadAssets, STATIC_DIR } from "./assets.ts";
import { type MetricsSource, renderMetrics } from "./metrics.ts";

/** What the web server needs from the chat server (`ChatServer` provides it). */
export interface WebHost extends MetricsSource {
  /** Takes a new client connection, applying the connection limits. */
  addConnection(conn: Connection): void;
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
 * Builds the request handler (exported so tests can call it without a listener).
 *
 * @example
 * ```ts ignore
 * const handler = createHandler(server, await loadAssets(), []);
 * Deno.serve({ port: 8080 }, handler);
 * ```
 */
export function createHandler(
  host: WebHost,
  assets: ReadonlyMap<string, Asset>,
  allowedOrigins: readonly string[],
  sockets: Set<WebSocketConnection> = new Set(),
): (req: Request, info: Deno.ServeHandlerInfo) => Response {
  return (req, info) => {
    const url = new URL(req.url);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return respond("method not allowed\n", 405, {
        allow: "GET, HEAD",
        "content-type": "text/plain; charset=utf-8",
      });
    }
    const path = url.pathname;
    if (path === WS_PATH) return upgrade(req, info);
    if (path === "/healthz") {
      return respond("ok\n", 200, {
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

  function upgrade(req: Request, info: Deno.ServeHandlerInfo): Response {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return respond("this is the IRC WebSocket endpoint\n", 426, {
        upgrade: "websocket",
        "content-type": "text/plain; charset=utf-8",
      });
    }
    if (!originAllowed(req.headers.get("origin"), req.headers.get("host"), allowedOrigins)) {
      return respond("origin not allowed\n", 403, { "content-type": "text/plain; charset=utf-8" });
    }
    const choice = chooseSubprotocol(req.headers.get("sec-websocket-protocol"));
    if (!choice) {
      return respond("unsupported subprotocol; use text.ircv3.net\n", 400, {
        "content-type": "text/plain; charset=utf-8",
      });
    }
    // read before the upgrade: afterwards Deno no longer gives the request's address
    const remote = (info.remoteAddr as Deno.NetAddr).hostname ?? "unknown";
    const { socket, response } = Deno.upgradeWebSocket(
      req,
      choice.protocol ? { protocol: choice.protocol } : {},
    );
    const conn = new WebSocketConnection(socket, remote, choice.mode);
    sockets.add(conn);
    socket.addEventListener("close", () => sockets.delete(conn));
    // the server may write (a refusal) at once, which needs an open socket
    socket.addEventListener("open", () => host.addConnection(conn));
    return response;
  }
}

/**
 * Starts the web server and resolves once it listens.
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
  const sockets = new Set<WebSocketConnection>();
  const handler = createHandler(host, assets, options.allowedOrigins ?? [], sockets);
  const { promise: listening, resolve, reject } = Promise.withResolvers<Deno.NetAddr>();
  let http: Deno.HttpServer<Deno.NetAddr>;
  try {
    http = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
      onListen: (addr) => resolve(addr),
      onError: (err) => {
        console.error(`web: ${(err as Error).message}`);
        return respond("internal error\n", 500, { "content-type": "text/plain; charset=utf-8" });
      },
    }, handler);
  } catch (err) {
    reject(err);
    throw err;
  }
  const addr = await listening;
  let stopped: Promise<void> | undefined;
  return {
    hostname: addr.hostname,
    port: addr.port,
    secure: options.tls !== undefined,
    shutdown() {
      stopped ??= (async () => {
        for (const s of sockets) s.close();
        let timer: ReturnType<typeof setTimeout> | undefined;
        // open keep-alive connections should not hold shutdown for long
        await Promise.race([
          http.shutdown(),
          new Promise((r) => (timer = setTimeout(r, 2000))),
        ]);
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}
