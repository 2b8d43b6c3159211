/**
 * IRCv3 `draft/multiline` as both clients need it: the limits a server offers in its cap
 * value, cutting a multi-line text into batches that respect them (long lines continue with
 * `draft/multiline-concat`), and joining the parts of a received batch back into one text.
 * Pure and browser-safe.
 *
 * @module
 */

/**
 * The limits of a server's `draft/multiline` cap value.
 *
 * @example
 * ```ts
 * import type { MultilineLimits } from "./multiline_batch.ts";
 * const l: MultilineLimits = { maxBytes: 4096, maxLines: 100 };
 * ```
 */
export interface MultilineLimits {
  /** Most bytes of content in one batch (lines joined by one LF each). */
  maxBytes: number;
  /** Most PRIVMSG lines in one batch (Infinity when the server sets none). */
  maxLines: number;
}

/**
 * Reads a `draft/multiline` cap value (`max-bytes=4096,max-lines=24`); undefined when
 * `max-bytes`, which the specification requires, is missing or not a positive number.
 *
 * @example
 * ```ts
 * import { parseMultilineCap } from "./multiline_batch.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseMultilineCap("max-bytes=4096,max-lines=24"), { maxBytes: 4096, maxLines: 24 });
 * assert.equal(parseMultilineCap("max-lines=3"), undefined);
 * ```
 */
export function parseMultilineCap(value: string): MultilineLimits | undefined {
  let maxBytes: number | undefined;
  let maxLines = Infinity;
  for (const token of value.split(",")) {
    const eq = token.indexOf("=");
    const key = eq === -1 ? token : token.slice(0, eq);
    const n = Number(eq === -1 ? "" : token.slice(eq + 1));
    if (key === "max-bytes" && Number.isInteger(n) && n > 0) maxBytes = n;
    else if (key === "max-lines" && Number.isInteger(n) && n > 0) maxLines = n;
  }
  return maxBytes === undefined ? undefined : { maxBytes, maxLines };
}

/**
 * One PRIVMSG of a multiline batch: its text, and whether it continues the previous line
 * (`draft/multiline-concat`) rather than starting a new one.
 *
 * @example
 * ```ts
 * import type { MultilinePart } from "./multiline_batch.ts";
 * const p: MultilinePart = { text: "everyone?", concat: true };
 * ```
 */
export interface MultilinePart {
  /** The PRIVMSG text. */
  text: string;
  /** Joined to the previous part without a line feed. */
  concat: boolean;
}

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s).length;

/** Cuts one line into pieces of at most `max` bytes, after a space where possible. */
function cutLine(line: string, max: number): string[] {
  if (bytes(line) <= max) return [line];
  const out: string[] = [];
  let cur = "";
  let curBytes = 0;
  for (const ch of line) {
    const b = bytes(ch);
    if (curBytes + b > max) {
      // the space stays at the end of the piece, as the specification recommends
      const sp = cur.lastIndexOf(" ");
      if (sp > 0 && sp < cur.length - 1) {
        out.push(cur.slice(0, sp + 1));
        cur = cur.slice(sp + 1);
      } else {
        out.push(cur);
        cur = "";
      }
      curBytes = bytes(cur);
    }
    cur += ch;
    curBytes += b;
  }
  if (cur !== "") out.push(cur);
  return out;
}

/**
 * Plans the batches for a text of several lines: each batch is a list of parts within the
 * server's limits (bytes of content counting one LF between lines, and lines), each part at
 * most `maxLineBytes` (what fits in one PRIVMSG). A line never spreads over two batches
 * unless it alone is over the limit. Blank lines at the start or end are dropped (a message
 * must not be all blank), blank lines inside are kept.
 *
 * @example
 * ```ts
 * import { planMultiline } from "./multiline_batch.ts";
 * import assert from "node:assert/strict";
 * const plan = planMultiline("hello\nhow is everyone?", { maxBytes: 100, maxLines: 10 }, 8);
 * assert.deepEqual(plan, [[
 *   { text: "hello", concat: false },
 *   { text: "how is ", concat: false },
 *   { text: "everyone", concat: true },
 *   { text: "?", concat: true },
 * ]]);
 * ```
 */
export function planMultiline(
  text: string,
  limits: MultilineLimits,
  maxLineBytes: number,
): MultilinePart[][] {
  const lines = text.split(/\r\n|\r|\n/);
  while (lines.length > 0 && lines[0].trim() === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  const per = Math.max(1, Math.min(maxLineBytes, limits.maxBytes));
  const batches: MultilinePart[][] = [];
  let cur: MultilinePart[] = [];
  let curBytes = 0;
  const flush = () => {
    if (cur.length > 0) batches.push(cur);
    cur = [];
    curBytes = 0;
  };
  for (const line of lines) {
    const parts = cutLine(line, per).map((t, i) => ({ text: t, concat: i > 0 }));
    if (parts.length === 0) parts.push({ text: "", concat: false });
    const lineBytes = bytes(line) + (cur.length > 0 ? 1 : 0);
    if (
      cur.length > 0 &&
      (curBytes + lineBytes > limits.maxBytes || cur.length + parts.length > limits.maxLines)
    ) {
      flush();
    }
    for (const p of parts) {
      const b = bytes(p.text) + (cur.length > 0 && !p.concat ? 1 : 0);
      if (cur.length > 0 && (curBytes + b > limits.maxBytes || cur.length >= limits.maxLines)) {
        // a line too long for one batch goes on in the next, as a line of its own
        flush();
        cur.push({ text: p.text, concat: false });
        curBytes = bytes(p.text);
        continue;
      }
      cur.push(p);
      curBytes += b;
    }
  }
  flush();
  // a batch must not be only blank lines
  return batches.filter((b) => b.some((p) => p.text.trim() !== ""));
}

/**
 * The text of a received batch: parts joined by LF, concat parts joined directly.
 *
 * @example
 * ```ts
 * import { joinMultiline } from "./multiline_batch.ts";
 * import assert from "node:assert/strict";
 * assert.equal(joinMultiline([
 *   { text: "hello", concat: false },
 *   { text: "how is ", concat: false },
 *   { text: "everyone?", concat: true },
 * ]), "hello\nhow is everyone?");
 * ```
 */
export function joinMultiline(parts: readonly MultilinePart[]): string {
  let out = "";
  parts.forEach((p, i) => {
    out += i === 0 || p.concat ? p.text : "\n" + p.text;
  });
  return out;
}
