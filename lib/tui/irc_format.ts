/**
 * IRC formatting (bold, italics, underline, strikethrough, mIRC and hex colours) turned
 * into terminal styles, sanitised: nothing from the network can hide text or reach the
 * terminal as a control. Reverse video is ignored (it can make text vanish), a background
 * too close to its foreground is dropped, a background alone gets a readable foreground,
 * and black or white text without a background uses the terminal's own colour (it would
 * vanish on a terminal of that colour).
 *
 * @module
 */

import { sanitize } from "./sanitize.ts";
import type { Span } from "./width.ts";

/** The 16 base mIRC colours as RGB. */
const BASE_RGB = [
  0xffffff,
  0x000000,
  0x00007f,
  0x009300,
  0xff0000,
  0x7f0000,
  0x9c009c,
  0xfc7f00,
  0xffff00,
  0x00fc00,
  0x009393,
  0x00ffff,
  0x0000fc,
  0xff00ff,
  0x7f7f7f,
  0xd2d2d2,
];

/** Their nearest of the terminal's 16 colours (SGR foreground codes). */
const BASE_SGR = [97, 30, 34, 32, 91, 31, 35, 33, 93, 92, 36, 96, 94, 95, 90, 37];

/** mIRC colours 16–98 (the extended palette), as RGB. */
const EXTENDED_RGB = [
  0x470000,
  0x472100,
  0x474700,
  0x324700,
  0x004700,
  0x00472c,
  0x004747,
  0x002747,
  0x000047,
  0x2e0047,
  0x470047,
  0x47002a,
  0x740000,
  0x743a00,
  0x747400,
  0x517400,
  0x007400,
  0x007449,
  0x007474,
  0x004074,
  0x000074,
  0x4b0074,
  0x740074,
  0x740045,
  0xb50000,
  0xb56300,
  0xb5b500,
  0x7db500,
  0x00b500,
  0x00b571,
  0x00b5b5,
  0x0063b5,
  0x0000b5,
  0x7500b5,
  0xb500b5,
  0xb5006b,
  0xff0000,
  0xff8c00,
  0xffff00,
  0xb2ff00,
  0x00ff00,
  0x00ffa0,
  0x00ffff,
  0x008cff,
  0x0000ff,
  0xa500ff,
  0xff00ff,
  0xff0098,
  0xff5959,
  0xffb459,
  0xffff71,
  0xcfff60,
  0x6fff6f,
  0x65ffc9,
  0x6dffff,
  0x59b4ff,
  0x5959ff,
  0xc459ff,
  0xff66ff,
  0xff59bc,
  0xff9c9c,
  0xffd39c,
  0xffff9c,
  0xe2ff9c,
  0x9cff9c,
  0x9cffdb,
  0x9cffff,
  0x9cd3ff,
  0x9c9cff,
  0xdc9cff,
  0xff9cff,
  0xff94d3,
  0x000000,
  0x131313,
  0x282828,
  0x363636,
  0x4d4d4d,
  0x656565,
  0x818181,
  0x9f9f9f,
  0xbcbcbc,
  0xe2e2e2,
  0xffffff,
];

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
    return { rgb: BASE_RGB[n], fg: String(BASE_SGR[n]), bg: String(BASE_SGR[n] + 10) };
  }
  const rgb = EXTENDED_RGB[n - 16];
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

// deno-lint-ignore no-control-regex
const CODES = /[\x02\x03\x04\x0f\x11\x16\x1d\x1e\x1f]/;

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
  if (!CODES.test(text)) return [{ text: sanitize(text), style: base }];
  const out: Span[] = [];
  const st: State = { bold: false, italic: false, underline: false, strike: false };
  let cur = "";
  const flush = () => {
    if (cur === "") return;
    const t = sanitize(cur);
    cur = "";
    if (t === "") return;
    const style = sgrOf(st, base);
    const last = out[out.length - 1];
    if (last && last.style === style) last.text += t;
    else out.push({ text: t, style });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    switch (c) {
      case "\x02":
        flush();
        st.bold = !st.bold;
        break;
      case "\x1d":
        flush();
        st.italic = !st.italic;
        break;
      case "\x1f":
        flush();
        st.underline = !st.underline;
        break;
      case "\x1e":
        flush();
        st.strike = !st.strike;
        break;
      case "\x11": // monospace: a terminal is monospace already
      case "\x16": // reverse: ignored, it can hide text
        break;
      case "\x0f":
        flush();
        st.bold =
          st.italic =
          st.underline =
          st.strike =
            false;
        st.fg = st.bg = undefined;
        break;
      case "\x03": {
        flush();
        const m = /^(\d{1,2})(?:,(\d{1,2}))?/.exec(text.slice(i + 1));
        if (!m) {
          st.fg = st.bg = undefined;
          break;
        }
        st.fg = mircColour(Number(m[1]));
        if (m[2] !== undefined) st.bg = mircColour(Number(m[2]));
        i += m[0].length;
        break;
      }
      case "\x04": {
        flush();
        const m = /^([0-9a-fA-F]{6})(?:,([0-9a-fA-F]{6}))?/.exec(text.slice(i + 1));
        if (!m) {
          st.fg = st.bg = undefined;
          break;
        }
        st.fg = hexColour(m[1]);
        if (m[2] !== undefined) st.bg = hexColour(m[2]);
        i += m[0].length;
        break;
      }
      default:
        cur += c;
    }
  }
  flush();
  return out.length > 0 ? out : [{ text: "", style: base }];
}
