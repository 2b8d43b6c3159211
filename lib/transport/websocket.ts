/**
 * IRC over WebSocket, per the IRCv3 WebSocket specification, behind the {@link Connection}
 * interface: one IRC message per WebSocket message, no CRLF inside frames, subprotocol
 * `text.ircv3.net` (UTF-8 text frames) or `binary.ircv3.net` (binary frames).
 *
 * Incoming frames pass through the same {@link LineFramer} limits as TCP lines, so a browser
 * user gets the same 417 for an oversized line and the same U+FFFD replacement for bad UTF-8
 * (binary mode; text frames are validated by the WebSocket layer itself).
 *
 * @module
 */

import {
  type FramedLine,
  type FrameLimits,
  IRC_FRAME_LIMITS,
  LineFramer,
} from "../protocol/framer.ts";
import type { Connection, TransportKind } from "./connection.ts";

/** How IRC lines are carried in WebSocket messages. */
export type WsMode = "text" | "binary";

/** The subprotocol names of the IRCv3 WebSocket specification. */
export const WS_SUBPROTOCOLS: Readonly<Record<WsMode, string>> = {
  text: "text.ircv3.net",
  binary: "binary.ircv3.net",
};

/** Counters shared by every WebSocket connection, for `/metrics`. */
export const wsCounters: { bytesIn: number; bytesOut: number; inboxOverflows: number } = {
  bytesIn: 0,
  bytesOut: 0,
  inboxOverflows: 0,
};

/**
 * Picks the subprotocol for an upgrade request from its `Sec-WebSocket-Protocol` header.
 * Text is preferred (browsers handle it natively); a client that names no subprotocol gets
 * text mode without the header, as the spec allows; a client that offers only protocols we
 * do not speak gets `undefined` (refuse the upgrade).
 *
 * @example
 * ```ts
 * import { chooseSubprotocol } from "./websocket.ts";
 * chooseSubprotocol("binary.ircv3.net, text.ircv3.net"); // { mode: "text", protocol: "text.ircv3.net" }
 * chooseSubprotocol(null); // { mode: "text", protocol: undefined }
 * chooseSubprotocol("mqtt"); // undefined
 * ```
 */
export function chooseSubprotocol(
  header: string | null,
): { mode: WsMode; protocol: string | undefined } | undefined {
  const offered = (header ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (offered.length === 0) return { mode: "text", protocol: undefined };
  if (offered.includes(WS_SUBPROTOCOLS.text)) {
    return { mode: "text", protocol: WS_SUBPROTOCOLS.text };
  }
  if (offered.includes(WS_SUBPROTOCOLS.binary)) {
    return { mode: "binary", protocol: WS_SUBPROTOCOLS.binary };
  }
  return undefined;
}

/** Tuning for {@link WebSocketConnection}. */
export interface WebSocketOptions {
  /** Line limits (default: the IRC ones, same as TCP). */
  limits?: FrameLimits;
  /**
   * Bytes of received frames that may wait for the server to handle them. TCP pushes back
   * on a fast sender through the socket; a WebSocket cannot be paused, so past this bound
   * the connection is closed instead of buffering without limit.
   */
  maxInbox?: number;
  /**
   * `write()` resolves only once the socket's own buffer is below this many bytes, so the
   * session's SendQ sees a browser that stopped reading just as it sees a TCP peer.
   */
  highWater?: number;
}

const LF = 10;
const CR = 13;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * Turns one WebSocket message into the framed line the server expects. A trailing CRLF is
 * tolerated (some clients send it); a line break inside the message is a protocol error and
 * the message is dropped (`undefined`), since one frame is one IRC message.
 *
 * @example
 * ```ts
 * import { LineFramer } from "../protocol/framer.ts";
 * import { frameToLine } from "./websocket.ts";
 * frameToLine(new LineFramer(), "PING :x\r\n"); // { kind: "line", text: "PING :x" }
 * frameToLine(new LineFramer(), "A\nB"); // undefined
 * ```
 */
export function frameToLine(
  framer: LineFramer,
  data: string | Uint8Array,
  maxLine = IRC_FRAME_LIMITS.maxBody + IRC_FRAME_LIMITS.maxTags,
): FramedLine | undefined {
  // a UTF-16 string never has more code units than its UTF-8 encoding has bytes, so a
  // string longer than the limit is too long without paying for encoding it
  if (typeof data === "string" && data.length > maxLine + 2) return { kind: "too-long" };
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === LF) end--;
  if (end > 0 && bytes[end - 1] === CR) end--;
  const body = bytes.subarray(0, end);
  if (body.length <= maxLine && (body.includes(LF) || body.includes(CR))) return undefined;
  const withLf = new Uint8Array(body.length + 1);
  withLf.set(body, 0);
  withLf[body.length] = LF;
  // the framer applies the tag/body limits and the UTF-8 replacement exactly as for TCP
  return framer.push(withLf)[0];
}

/**
 * Splits bytes holding one or more CRLF-terminated IRC lines into the lines, without line
 * endings (empty lines are skipped).
 *
 * @example
 * ```ts
 * import { splitLines } from "./websocket.ts";
 * const enc = new TextEncoder();
 * splitLines(enc.encode("A\r\nB\r\n")).map((b) => new TextDecoder().decode(b)); // ["A", "B"]
 * ```
 */
export function splitLines(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  while (start < data.length) {
    let lf = data.indexOf(LF, start);
    if (lf === -1) lf = data.length;
    let end = lf;
    if (end > start && data[end - 1] === CR) end--;
    if (end > start) out.push(data.subarray(start, end));
    start = lf + 1;
  }
  return out;
}

/**
 * A server-side WebSocket (from `Deno.upgradeWebSocket`) as a {@link Connection}. Create it
 * right after the upgrade and hand it to the server once the socket is open.
 *
 * @example
 * ```ts ignore
 * import { WebSocketConnection } from "./websocket.ts";
 * Deno.serve((req, info) => {
 *   const { socket, response } = Deno.upgradeWebSocket(req, { protocol: "text.ircv3.net" });
 *   const conn = new WebSocketConnection(socket, info.remoteAddr.hostname, "text");
 *   socket.addEventListener("open", () => server.addConnection(conn));
 *   return response;
 * });
 * ```
 */
export class WebSocketConnection implements Connection {
  readonly remoteAddress: string;
  readonly kind: TransportKind = "websocket";
  readonly mode: WsMode;
  readonly #socket: WebSocket;
  readonly #framer: LineFramer;
  readonly #maxLine: number;
  readonly #maxInbox: number;
  readonly #highWater: number;
  #inbox: FramedLine[] = [];
  #inboxBytes = 0;
  #ended = false;
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(
    socket: WebSocket,
    remoteAddress: string,
    mode: WsMode,
    options: WebSocketOptions = {},
  ) {
    this.#socket = socket;
    this.remoteAddress = remoteAddress;
    this.mode = mode;
    const limits = options.limits ?? IRC_FRAME_LIMITS;
    this.#framer = new LineFramer(limits);
    this.#maxLine = limits.maxBody + limits.maxTags;
    this.#maxInbox = options.maxInbox ?? 256 * 1024;
    this.#highWater = options.highWater ?? 64 * 1024;
    socket.binaryType = "arraybuffer";
    socket.addEventListener("message", (ev) => this.#onMessage(ev.data));
    socket.addEventListener("close", () => this.#end());
    socket.addEventListener("error", () => this.#end());
  }

  #onMessage(data: unknown): void {
    if (this.#ended) return;
    let raw: string | Uint8Array;
    if (typeof data === "string") raw = data;
    else if (data instanceof ArrayBuffer) raw = new Uint8Array(data);
    else return;
    const size = typeof raw === "string" ? raw.length : raw.byteLength;
    wsCounters.bytesIn += size;
    const line = frameToLine(this.#framer, raw, this.#maxLine);
    if (!line) return;
    const cost = line.kind === "line" ? line.text.length + 1 : 1;
    if (this.#inboxBytes + cost > this.#maxInbox) {
      wsCounters.inboxOverflows++;
      // 1008: policy violation; the client flooded faster than the server lets anyone go
      this.#closeSocket(1008, "Input queue exceeded");
      this.#end();
      return;
    }
    this.#inbox.push(line);
    this.#inboxBytes += cost;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #end(): void {
    this.#ended = true;
    this.#notify();
  }

  async readLines(onLine: (line: FramedLine) => void | Promise<void>): Promise<void> {
    try {
      for (;;) {
        if (this.#closed) return;
        const line = this.#inbox.shift();
        if (line) {
          this.#inboxBytes -= line.kind === "line" ? line.text.length + 1 : 1;
          const r = onLine(line);
          if (r) await r;
          continue;
        }
        // lines that arrived before the peer closed are still handled, as with TCP
        if (this.#ended) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } catch {
      // a handler error ends input, as a read error does for TCP
    }
  }

  async write(data: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (this.#closed || this.#ended || socket.readyState !== WebSocket.OPEN) {
      throw new Deno.errors.BrokenPipe("WebSocket is closed");
    }
    for (const line of splitLines(data)) {
      if (this.mode === "text") socket.send(decoder.decode(line));
      else socket.send(line.slice());
      wsCounters.bytesOut += line.length;
    }
    // hold the caller while the socket's buffer is full, bounded by the connection's life
    while (socket.bufferedAmount > this.#highWater) {
      if (this.#closed || this.#ended || socket.readyState !== WebSocket.OPEN) {
        throw new Deno.errors.BrokenPipe("WebSocket is closed");
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  #closeSocket(code: number, reason: string): void {
    try {
      this.#socket.close(code, reason);
    } catch {
      // not open yet or already closing
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeSocket(1000, "");
    this.#end();
  }
}
