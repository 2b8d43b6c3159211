/**
 * Line framing over a byte stream: splits on LF (with an optional CR before it), keeps a
 * partial line across reads, and enforces the IRC size limits without buffering more than
 * one maximal line.
 *
 * @module
 */

/**
 * What the framer hands on for each complete line. A line holding a NUL or a CR other than
 * the one before its LF is `bad-char` (with those characters removed from `text`, for a
 * reply that names the command): a receiver that splits lines at a bare CR, or stops at a
 * NUL, would otherwise read a different line than the one relayed, e.g. a forged notice.
 */
export type FramedLine =
  | { kind: "line"; text: string }
  | { kind: "too-long" }
  | { kind: "bad-char"; text: string };

/** Size limits for one line, in bytes (the body limit counts the CRLF, as IRC does). */
export interface FrameLimits {
  /** Bytes of message body, including CRLF (IRC: 512). */
  maxBody: number;
  /** Bytes of tag section, including '@' and the trailing space. */
  maxTags: number;
}

/**
 * What a server accepts from a client, per the specifications: a 512-byte body (RFC 1459) and
 * 4,094 bytes of tag data, 4,096 with the '@' and the space (IRCv3 message-tags). The 8,191
 * bytes of the message-tags spec are the combined maximum of a line *to* a client, whose
 * server-added tags have an allowance of their own.
 */
export const IRC_FRAME_LIMITS: FrameLimits = { maxBody: 512, maxTags: 4096 };

const NUL = 0;
const LF = 10;
const CR = 13;
const SPACE = 32;
const AT = 64;

/**
 * Splits a byte stream into IRC lines. Invalid UTF-8 is decoded with U+FFFD, never thrown.
 * A line over the limits yields `{ kind: "too-long" }` once, and its bytes are dropped up to
 * the next LF, so memory stays bounded whatever the peer sends.
 *
 * @example
 * ```ts
 * import { LineFramer } from "./framer.ts";
 * const f = new LineFramer();
 * const enc = new TextEncoder();
 * f.push(enc.encode("NICK a\r\nUSER a 0 * :A"));  // [{ kind: "line", text: "NICK a" }]
 * f.push(enc.encode("\n"));                      // [{ kind: "line", text: "USER a 0 * :A" }]
 * f.push(enc.encode("PRIVMSG #c :a\rb\r\n"));     // [{ kind: "bad-char", text: "PRIVMSG #c :ab" }]
 * ```
 */
export class LineFramer {
  #pending: Uint8Array | null = null;
  #discarding = false;
  readonly #limits: FrameLimits;
  readonly #maxLine: number;
  static readonly #decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

  constructor(limits: FrameLimits = IRC_FRAME_LIMITS) {
    this.#limits = limits;
    this.#maxLine = limits.maxBody + limits.maxTags;
  }

  /** Bytes held for an unfinished line. */
  get buffered(): number {
    return this.#pending?.length ?? 0;
  }

  /** Feeds bytes; returns the lines completed by them, in order. */
  push(chunk: Uint8Array): FramedLine[] {
    const out: FramedLine[] = [];
    let data = chunk;
    if (this.#pending) {
      data = new Uint8Array(this.#pending.length + chunk.length);
      data.set(this.#pending, 0);
      data.set(chunk, this.#pending.length);
      this.#pending = null;
    }
    let start = 0;
    for (;;) {
      const lf = data.indexOf(LF, start);
      if (lf === -1) break;
      if (this.#discarding) {
        this.#discarding = false;
      } else {
        let end = lf;
        if (end > start && data[end - 1] === CR) end--;
        out.push(this.#frame(data.subarray(start, end)));
      }
      start = lf + 1;
    }
    const rest = data.length - start;
    if (rest > 0 && !this.#discarding) {
      if (rest > this.#maxLine) {
        this.#discarding = true;
        out.push({ kind: "too-long" });
      } else {
        // copy so the caller may reuse its read buffer
        this.#pending = data.slice(start);
      }
    }
    return out;
  }

  #frame(line: Uint8Array): FramedLine {
    let bodyStart = 0;
    if (line.length > 0 && line[0] === AT) {
      const sp = line.indexOf(SPACE);
      const tagsLen = sp === -1 ? line.length : sp + 1;
      if (tagsLen > this.#limits.maxTags) return { kind: "too-long" };
      bodyStart = tagsLen;
    }
    // the body limit includes the CRLF that was stripped
    if (line.length - bodyStart + 2 > this.#limits.maxBody) return { kind: "too-long" };
    const text = LineFramer.#decoder.decode(line);
    if (line.includes(CR) || line.includes(NUL)) {
      return { kind: "bad-char", text: text.replace(/[\0\r]/g, "") };
    }
    return { kind: "line", text };
  }
}
