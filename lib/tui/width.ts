/**
 * Measuring text in terminal columns (CJK and emoji take two) and wrapping styled text to
 * a given width. Widths come from `string-width`; text is split into grapheme clusters so a
 * flag or a family emoji is never cut in half.
 *
 * @module
 */

import stringWidth from "string-width";

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * The number of terminal columns `text` occupies (text must already be sanitised).
 *
 * @example
 * ```ts
 * import { textWidth } from "./width.ts";
 * textWidth("abc"); // 3
 * textWidth("日本"); // 4
 * ```
 */
export function textWidth(text: string): number {
  return stringWidth(text);
}

/**
 * Splits text into grapheme clusters (what a user sees as one character).
 *
 * @example
 * ```ts
 * import { graphemes } from "./width.ts";
 * graphemes("e\u0301x"); // ["e\u0301", "x"]
 * ```
 */
export function graphemes(text: string): string[] {
  const out: string[] = [];
  for (const s of segmenter.segment(text)) out.push(s.segment);
  return out;
}

/**
 * Cuts `text` to at most `width` columns without splitting a wide character.
 *
 * @example
 * ```ts
 * import { truncateToWidth } from "./width.ts";
 * truncateToWidth("日本語", 5); // "日本"
 * ```
 */
export function truncateToWidth(text: string, width: number): string {
  let out = "";
  let used = 0;
  for (const g of graphemes(text)) {
    const w = stringWidth(g);
    if (used + w > width) break;
    out += g;
    used += w;
  }
  return out;
}

/**
 * Pads `text` with spaces (or cuts it) to exactly `width` columns.
 *
 * @example
 * ```ts
 * import { padToWidth } from "./width.ts";
 * padToWidth("ab", 4); // "ab  "
 * ```
 */
export function padToWidth(text: string, width: number): string {
  const t = truncateToWidth(text, width);
  return t + " ".repeat(Math.max(0, width - stringWidth(t)));
}

/**
 * A run of text with one SGR style (e.g. "1;31"); the empty style is the default one.
 *
 * @example
 * ```ts
 * import { type Span, spansToAnsi } from "./width.ts";
 * const s: Span = { text: "alice", style: "1;31" };
 * spansToAnsi([s]);
 * ```
 */
export interface Span {
  /** The text (sanitised, no control characters). */
  text: string;
  /** SGR parameters without ESC [ and m, e.g. "1;36"; empty or undefined for plain. */
  style?: string;
}

interface Cell {
  g: string;
  w: number;
  style: string;
}

/**
 * Wraps styled text into rows of at most `width` columns, breaking after spaces when it
 * can and inside words only when a word is longer than a row. Rows after the first start
 * with `indent` spaces (a hanging indent that keeps text aligned after the nick).
 *
 * @example
 * ```ts
 * import { wrapSpans } from "./width.ts";
 * wrapSpans([{ text: "hello big world" }], 10, 2);
 * // [[{ text: "hello big ", style: "" }], [{ text: "  world", style: "" }]]
 * ```
 */
export function wrapSpans(spans: Span[], width: number, indent = 0): Span[][] {
  const w = Math.max(1, width);
  const ind = indent * 2 < w ? indent : 0;
  const cells: Cell[] = [];
  for (const span of spans) {
    for (const g of graphemes(span.text)) {
      cells.push({ g, w: Math.min(stringWidth(g), w), style: span.style ?? "" });
    }
  }
  const rows: Cell[][] = [];
  let row: Cell[] = [];
  let used = 0;
  let i = 0;
  while (i < cells.length) {
    const c = cells[i];
    if (c.g === "\n") {
      // a line of a multi-line message: a new row, aligned like a wrapped one
      rows.push(row);
      row = ind > 0 ? [{ g: " ".repeat(ind), w: ind, style: "" }] : [];
      used = ind;
      i++;
      continue;
    }
    if (used + c.w <= w) {
      row.push(c);
      used += c.w;
      i++;
      continue;
    }
    // row full: find the last space after the indent to break at
    const start = rows.length > 0 ? ind : 0;
    let brk = -1;
    for (let k = row.length - 1; k > start; k--) {
      if (row[k].g === " ") {
        brk = k;
        break;
      }
    }
    if (brk !== -1 && c.g !== " ") {
      const carry = row.splice(brk + 1);
      rows.push(row);
      i -= carry.length;
    } else {
      rows.push(row);
      if (c.g === " ") i++; // a space at the break point is not carried over
    }
    row = [];
    used = 0;
    if (ind > 0) {
      row.push({ g: " ".repeat(ind), w: ind, style: "" });
      used = ind;
    }
  }
  if (row.length > 0 || rows.length === 0) rows.push(row);
  return rows.map(mergeCells);
}

function mergeCells(cells: Cell[]): Span[] {
  const out: Span[] = [];
  for (const c of cells) {
    const last = out[out.length - 1];
    if (last && last.style === c.style) last.text += c.g;
    else out.push({ text: c.g, style: c.style });
  }
  return out;
}

/**
 * Turns styled spans into a string with SGR escapes, ending in the default style.
 *
 * @example
 * ```ts
 * import { spansToAnsi } from "./width.ts";
 * spansToAnsi([{ text: "a", style: "1" }, { text: "b" }]); // "\x1b[0;1ma\x1b[0mb"
 * ```
 */
export function spansToAnsi(spans: Span[]): string {
  let out = "";
  let cur = "";
  for (const s of spans) {
    const st = s.style ?? "";
    if (st !== cur) {
      out += st === "" ? "\x1b[0m" : `\x1b[0;${st}m`;
      cur = st;
    }
    out += s.text;
  }
  return out + (cur === "" ? "" : "\x1b[0m");
}

/**
 * The plain text of styled spans.
 *
 * @example
 * ```ts
 * import { spansText } from "./width.ts";
 * spansText([{ text: "a", style: "1" }, { text: "b" }]); // "ab"
 * ```
 */
export function spansText(spans: Span[]): string {
  return spans.map((s) => s.text).join("");
}
