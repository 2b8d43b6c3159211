/**
 * IRC formatting (bold, italics, underline, strikethrough, mIRC and hex colours, as read by
 * the shared parser in lib/shared/formatting.ts) turned into terminal styles, sanitised: nothing from the network can hide text or reach the
 * terminal as a control. Reverse video is ignored (it can make text vanish), a background
 * too close to its foreground is dropped, a background alone gets a readable foreground,
 * and black or white text without a background uses the terminal's own colour (it would
 * vanish on a terminal of that colour).
 *
 * @module
 */

import { formatRuns, type IrcColour, MIRC_RGB } from "../shared/formatting.ts";
import { sanitize } from "./sanitize.ts";
import type { Span } from "./width.ts";

/** Their nearest of the terminal's 16 colours (SGR foreground codes). */
const BASE_SGR = [97, 30, 34, 32, 91, 31, 35, 33, 93, 92, 36, 96, 94, 95, 90, 37];

/** A colour: its RGB (to judge contrast) and how the terminal is told. */
interface Colour {
  rgb: number;
  /** SGR parameters for the foreground and for the background. */
  fg: string;
  bg: string;
}

function rgbParts(rgb: number): [number, number, number] {
  return [(rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255];
}

/** The xterm 256-colour index nearest to an RGB colour (the 6×6×6 cube or the grey ramp). */
function xterm256(rgb: number): number {
  const [r, g, b] = rgbParts(rgb);
  if (r === g && g === b) {
    if (r < 8) return 16;
    if (r > 248) return 231;
    return 232 + Math.min(23, Math.round((r - 8) / 10));
  }
  const q = (v: number) => Math.round((v / 255) * 5);
  return 16 + 36 * q(r) + 6 * q(g) + q(b);
}

function mircColour(n: number): Colour | undefined {
  if (n >= 0 && n < 16) {
    return { rgb: MIRC_RGB[n], fg: String(BASE_SGR[n]), bg: String(BASE_SGR[n] + 10) };
  }
  const rgb = MIRC_RGB[n];
  if (rgb === undefined) return undefined; // 99 and above: the default colour
  const i = xterm256(rgb);
  return { rgb, fg: `38;5;${i}`, bg: `48;5;${i}` };
}

function hexColour(hex: string): Colour {
  const rgb = parseInt(hex, 16);
  const [r, g, b] = rgbParts(rgb);
  return { rgb, fg: `38;2;${r};${g};${b}`, bg: `48;2;${r};${g};${b}` };
}

/** Relative luminance (WCAG), 0 for black to 1 for white. */
function luminance(rgb: number): number {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const [r, g, b] = rgbParts(rgb);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio, 1 (none) to 21. */
function contrast(a: number, b: number): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Below this contrast a background is dropped: the text would be hard or impossible to read. */
const MIN_CONTRAST = 2;

interface State {
  bold: boolean;
  italic: boolean;
  underline: boolean;
  strike: boolean;
  fg?: Colour;
  bg?: Colour;
}

function sgrOf(st: State, base: string): string {
  const parts: string[] = base === "" ? [] : [base];
  if (st.bold) parts.push("1");
  if (st.italic) parts.push("3");
  if (st.underline) parts.push("4");
  if (st.strike) parts.push("9");
  let { fg, bg } = st;
  if (fg && bg && contrast(fg.rgb, bg.rgb) < MIN_CONTRAST) bg = undefined;
  if (bg && !fg) {
    // a background alone: black or white text, whichever reads on it
    fg = luminance(bg.rgb) > 0.2 ? mircColour(1) : mircColour(0);
  }
  if (fg && !bg) {
    // black or white text on the terminal's own background might not show at all
    const [r, g, b] = rgbParts(fg.rgb);
    const grey = Math.max(r, g, b) - Math.min(r, g, b) < 32;
    const l = luminance(fg.rgb);
    if (grey && (l < 0.02 || l > 0.8)) fg = undefined;
  }
  if (fg) parts.push(fg.fg);
  if (bg) parts.push(bg.bg);
  return parts.join(";");
}

/**
 * Network text with IRC formatting as styled, sanitised spans. `base` is the style of the
 * whole text (e.g. "1;33" for a mention); formatting adds to it.
 *
 * @example
 * ```ts
 * import { formatSpans } from "./irc_format.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(formatSpans("a \x02bold\x02 \x0304red"), [
 *   { text: "a ", style: "" },
 *   { text: "bold", style: "1" },
 *   { text: " ", style: "" },
 *   { text: "red", style: "91" },
 * ]);
 * // the same colour for text and background: the background goes
 * assert.deepEqual(formatSpans("\x0304,04hidden"), [{ text: "hidden", style: "91" }]);
 * ```
 */
export function formatSpans(text: string, base = ""): Span[] {
  const out: Span[] = [];
  // the codes are read by the shared parser; what reads well on a terminal is decided here
  for (const run of formatRuns(text)) {
    const t = sanitize(run.text);
    if (t === "") continue;
    const r = run.style;
    const style = sgrOf({
      bold: r.bold,
      italic: r.italic,
      underline: r.underline,
      strike: r.strike,
      fg: colourOf(r.fg),
      bg: colourOf(r.bg),
    }, base);
    const last = out[out.length - 1];
    if (last && last.style === style) last.text += t;
    else out.push({ text: t, style });
  }
  return out.length > 0 ? out : [{ text: "", style: base }];
}

/** A shared-parser colour as the terminal shows it (monospace and reverse are ignored). */
function colourOf(c: IrcColour | undefined): Colour | undefined {
  if (c === undefined) return undefined;
  return typeof c === "number" ? mircColour(c) : hexColour(c.slice(1));
}
