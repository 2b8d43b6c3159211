/**
 * IRC over WebSocket, per the IRCv3 WebSocket specification, behind the {@link Connection}
 * interface: one IRC message per WebSocket message, no CRLF inside frames, subprotocol
 * `text.ircv3.net` (UTF-8 text frames) or `binary.ircv3.net` (binary frames).
 *
 * The WebSocket protocol (RFC 6455) is spoken here, over the connection the web server
 * accepted, rather than by `Deno.upgradeWebSocket`: Deno buffers every message whole up to
 * 64 MiB before the application sees it, with no option to lower that, so a dozen clients
 * sending 60 MB messages took 1.5 GB. Here a frame's header is read first, and a message
 * longer than an IRC line can be ({@link IRC_FRAME_LIMITS}: tags + 512) is never stored: its
 * payload is skipped as it arrives and the client gets the same 417 as for an overlong TCP
 * line. Reading waits for the server to handle each line, so a fast sender is slowed by TCP
 * exactly as on the IRC port.
 *
 * Incoming frames pass through the same {@link LineFramer} limits as TCP lines, so a browser
 * user gets the same 417 for an oversized line and the same U+FFFD replacement for bad UTF-8
 * (binary mode; a text frame that is not UTF-8 closes the connection, as RFC 6455 requires).
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
  /** Bytes already read past the upgrade request (the client's first frames). */
  pending?: Uint8Array;
  /**
   * Milliseconds between WebSocket pings (default 30000; 0 = none). Liveness is the IRC
   * PING's job; these keep proxies and NAT boxes from dropping a quiet connection.
   */
  pingIntervalMs?: number;
}

/** What a {@link WebSocketConnection} reads from and writes to (a `Deno.Conn` has it). */
export interface ByteStream {
  read(buf: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  close(): void;
}

/** RFC 6455 close codes used here. */
const CLOSE_NORMAL = 1000;
const CLOSE_PROTOCOL = 1002;
const CLOSE_INVALID_DATA = 1007;

const OP_CONTINUATION = 0;
const OP_TEXT = 1;
const OP_BINARY = 2;
const OP_CLOSE = 8;
const OP_PING = 9;
const OP_PONG = 10;

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/**
 * The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key` (RFC 6455 section 4.2.2).
 *
 * @example
 * ```ts
 * import { acceptKey } from "./websocket.ts";
 * await acceptKey("dGhlIHNhbXBsZSBub25jZQ=="); // "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
 * ```
 */
export async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", encoder.encode(key + WS_GUID));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/**
 * Whether a `Sec-WebSocket-Key` is what RFC 6455 asks for: 16 bytes in base64.
 *
 * @example
 * ```ts
 * import { validKey } from "./websocket.ts";
 * validKey("dGhlIHNhbXBsZSBub25jZQ=="); // true
 * validKey("x"); // false
 * ```
 */
export function validKey(key: string | null): boolean {
  if (key === null || !/^[A-Za-z0-9+/]{22}==$/.test(key)) return false;
  return true;
}

/**
 * One frame's bytes from the server (never masked).
 *
 * @example
 * ```ts
 * import { encodeFrame } from "./websocket.ts";
 * encodeFrame(1, new TextEncoder().encode("hi")); // Uint8Array [0x81, 2, 104, 105]
 * ```
 */
export function encodeFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const n = payload.length;
  const headLen = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = new Uint8Array(headLen + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = n;
  else if (n < 65536) {
    out[1] = 126;
    out[2] = n >> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(n));
  }
  out.set(payload, headLen);
  return out;
}

const LF = 10;
const CR = 13;
const encoder = new TextEncoder();

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
 * A server-side WebSocket, after the upgrade, as a {@link Connection}: reads frames from the
 * accepted connection and writes frames to it.
 *
 * @example
 * ```ts ignore
 * import { WebSocketConnection } from "./websocket.ts";
 * // after answering the upgrade request with 101 on `conn`:
 * const ws = new WebSocketConnection(conn, "10.0.0.5", "text", { pending: rest });
 * server.addConnection(ws);
 * ```
 */
export class WebSocketConnection implements Connection {
  readonly remoteAddress: string;
  readonly kind: TransportKind = "websocket";
  readonly mode: WsMode;
  readonly #conn: ByteStream;
  readonly #framer: LineFramer;
  readonly #maxLine: number;
  #buf: Uint8Array;
  #start = 0;
  #end = 0;
  #closed = false;
  #sentClose = false;
  #writing: Promise<unknown> = Promise.resolve();
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    conn: ByteStream,
    remoteAddress: string,
    mode: WsMode,
    options: WebSocketOptions = {},
  ) {
    this.#conn = conn;
    this.remoteAddress = remoteAddress;
    this.mode = mode;
    const limits = options.limits ?? IRC_FRAME_LIMITS;
    this.#framer = new LineFramer(limits);
    this.#maxLine = limits.maxBody + limits.maxTags;
    // room for one whole frame of the longest line: header (14) + line + CRLF
    this.#buf = new Uint8Array(Math.max(this.#maxLine + 16, options.pending?.length ?? 0));
    if (options.pending) {
      this.#buf.set(options.pending);
      this.#end = options.pending.length;
    }
    const every = options.pingIntervalMs ?? 30000;
    if (every > 0) {
      this.#pingTimer = setInterval(() => {
        if (!this.#sentClose) this.#send(encodeFrame(OP_PING, new Uint8Array())).catch(() => {});
      }, every);
    }
  }

  /** Reads until at least `n` bytes are buffered; false at end of input. */
  async #fill(n: number): Promise<boolean> {
    while (this.#end - this.#start < n) {
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      if (this.#closed) return false;
      const got = await this.#conn.read(this.#buf.subarray(this.#end));
      if (got === null) return false;
      wsCounters.bytesIn += got;
      this.#end += got;
    }
    return true;
  }

  /** Drops `n` payload bytes as they arrive, without keeping them. */
  async #skip(n: number): Promise<boolean> {
    while (n > 0) {
      if (this.#end === this.#start) {
        this.#start = this.#end = 0;
        if (!(await this.#fill(1))) return false;
      }
      const take = Math.min(n, this.#end - this.#start);
      this.#start += take;
      n -= take;
    }
    return true;
  }

  async readLines(onLine: (line: FramedLine) => void | Promise<void>): Promise<void> {
    const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    let message: Uint8Array[] = [];
    let messageLen = 0;
    let messageOp = 0;
    let tooLong = false;
    try {
      for (;;) {
        if (!(await this.#fill(2))) return;
        const b0 = this.#buf[this.#start];
        const b1 = this.#buf[this.#start + 1];
        const fin = (b0 & 0x80) !== 0;
        const opcode = b0 & 0x0f;
        let len = b1 & 0x7f;
        let headLen = 2;
        if (len === 126) headLen = 4;
        else if (len === 127) headLen = 10;
        headLen += 4; // the mask key
        // no extension was negotiated, and RFC 6455 requires clients to mask every frame
        if ((b0 & 0x70) !== 0 || (b1 & 0x80) === 0) return this.#fail(CLOSE_PROTOCOL);
        if (!(await this.#fill(headLen))) return;
        const view = new DataView(this.#buf.buffer, this.#start);
        if (len === 126) len = view.getUint16(2);
        else if (len === 127) {
          const big = view.getBigUint64(2);
          len = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
        }
        const control = opcode >= 8;
        if (control && (!fin || len > 125)) return this.#fail(CLOSE_PROTOCOL);
        const isStart = opcode === OP_TEXT || opcode === OP_BINARY;
        if (!control && !isStart && opcode !== OP_CONTINUATION) return this.#fail(CLOSE_PROTOCOL);
        if (isStart && messageOp !== 0) return this.#fail(CLOSE_PROTOCOL);
        if (opcode === OP_CONTINUATION && messageOp === 0) return this.#fail(CLOSE_PROTOCOL);
        const maskAt = this.#start + headLen - 4;
        const mask = this.#buf.slice(maskAt, maskAt + 4);
        this.#start += headLen;
        if (isStart) messageOp = opcode;
        // a message longer than any IRC line is never stored: skipped as it arrives
        if (!control && (tooLong || messageLen + len > this.#maxLine + 2)) {
          tooLong = true;
          message = [];
          if (!(await this.#skip(len))) return;
        } else {
          if (!(await this.#fill(len))) return;
          const payload = this.#buf.slice(this.#start, this.#start + len);
          this.#start += len;
          for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
          if (control) {
            if (opcode === OP_CLOSE) {
              this.#sendClose(payload.length >= 2 ? payload.subarray(0, 2) : new Uint8Array());
              return;
            }
            if (opcode === OP_PING) this.#send(encodeFrame(OP_PONG, payload)).catch(() => {});
            continue; // pongs need nothing; other control opcodes are reserved
          }
          message.push(payload);
          messageLen += len;
        }
        if (!fin) continue;
        const op = messageOp;
        messageOp = 0;
        let line: FramedLine | undefined;
        if (tooLong) line = { kind: "too-long" };
        else {
          const bytes = message.length === 1 ? message[0] : concat(message, messageLen);
          if (op === OP_TEXT) {
            try {
              fatal.decode(bytes);
            } catch {
              return this.#fail(CLOSE_INVALID_DATA);
            }
          }
          line = frameToLine(this.#framer, bytes, this.#maxLine);
        }
        message = [];
        messageLen = 0;
        tooLong = false;
        if (!line) continue;
        const r = onLine(line);
        if (r) await r;
      }
    } catch {
      // reset by peer, closed under us, a handler error: all mean end of input
    } finally {
      // a close frame on its way closes the connection once written
      if (!this.#sentClose) this.#closeConn();
    }
  }

  #fail(code: number): void {
    const payload = new Uint8Array(2);
    payload[0] = code >> 8;
    payload[1] = code & 0xff;
    this.#sendClose(payload);
  }

  /** Sends a close frame (once); the connection closes once it is written. */
  #sendClose(payload: Uint8Array): void {
    if (this.#sentClose || this.#closed) return;
    this.#sentClose = true;
    this.#send(encodeFrame(OP_CLOSE, payload)).catch(() => {}).finally(() => this.#closeConn());
    // a peer that stopped reading must not hold the socket: the frame gets a moment
    this.#closeTimer = setTimeout(() => this.#closeConn(), 2000);
  }

  /** Queues bytes behind any write in flight, so frames never interleave. */
  #send(bytes: Uint8Array): Promise<void> {
    const conn = this.#conn;
    const next = this.#writing.then(async () => {
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    });
    this.#writing = next.catch(() => {});
    return next;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closed || this.#sentClose) {
      return Promise.reject(new Deno.errors.BrokenPipe("WebSocket is closed"));
    }
    const opcode = this.mode === "text" ? OP_TEXT : OP_BINARY;
    const frames = splitLines(data).map((line) => encodeFrame(opcode, line));
    const total = frames.reduce((n, f) => n + f.length, 0);
    wsCounters.bytesOut += total;
    return this.#send(frames.length === 1 ? frames[0] : concat(frames, total));
  }

  #closeConn(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#closeTimer);
    clearInterval(this.#pingTimer);
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  close(): void {
    if (this.#closed) return;
    if (this.#sentClose) return;
    const payload = new Uint8Array([CLOSE_NORMAL >> 8, CLOSE_NORMAL & 0xff]);
    this.#sendClose(payload);
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
