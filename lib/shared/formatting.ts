// deno-lint-ignore-file no-control-regex -- IRC formatting codes are control characters
/**
 * mIRC-style formatting (bold, italics, underline, strikethrough, monospace, reverse,
 * colours) for every client: one reader of the codes, giving styled runs; plain text is the
 * runs' text. Each view (lib/tui/irc_format.ts, lib/web/static/view.ts) then shows the runs
 * in its medium without letting a sender hide text or break the layout.
 *
 * @module
 */

/**
 * Removes IRC formatting codes: bold (\x02), colour (\x03 with its digits), hex colour
 * (\x04 with its digits), reset (\x0f), monospace (\x11), reverse (\x16), italic (\x1d),
 * strikethrough (\x1e), underline (\x1f).
 *
 * @example
 * ```ts
 * import { stripFormatting } from "./formatting.ts";
 * stripFormatting("\x02bold\x02 \x0304,12red\x03"); // "bold red"
 * ```
 */
export function stripFormatting(text: string): string {
  if (!/[\x02-\x04\x0f\x11\x16\x1d-\x1f]/.test(text)) return text;
  return formatRuns(text).map((r) => r.text).join("");
}

/**
 * A colour as IRC gives it: a mIRC colour number (0–15 the base palette, 16–98 the extended
 * one) or a hex colour (`\x04`) as `"#rrggbb"`. Each view decides how to show it.
 */
export type IrcColour = number | `#${string}`;

/**
 * The mIRC colours 0–98 as RGB (0–15 the base palette, 16–98 the extended one), for views
 * that show them or map them to their own palette.
 *
 * @example
 * ```ts
 * import { MIRC_RGB } from "./formatting.ts";
 * MIRC_RGB.length; // 99
 * MIRC_RGB[4].toString(16); // "ff0000"
 * ```
 */
export const MIRC_RGB: readonly number[] = [
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

/**
 * The base colour (0–15) nearest to any IRC colour, for a view with only the base palette.
 *
 * @example
 * ```ts
 * import { nearestBaseColour } from "./formatting.ts";
 * nearestBaseColour(4); // 4
 * nearestBaseColour("#fe0101"); // 4
 * nearestBaseColour(99); // undefined
 * ```
 */
export function nearestBaseColour(c: IrcColour | undefined): number | undefined {
  if (c === undefined) return undefined;
  if (typeof c === "number" && c < 16) return c;
  const rgb = typeof c === "number" ? MIRC_RGB[c] : parseInt(c.slice(1), 16);
  if (rgb === undefined || Number.isNaN(rgb)) return undefined;
  let best = 0;
  let bestDistance = Infinity;
  for (let i = 0; i < 16; i++) {
    const d = distance(rgb, MIRC_RGB[i]);
    if (d < bestDistance) [best, bestDistance] = [i, d];
  }
  return best;
}

function distance(a: number, b: number): number {
  const dr = ((a >> 16) & 255) - ((b >> 16) & 255);
  const dg = ((a >> 8) & 255) - ((b >> 8) & 255);
  const db = (a & 255) - (b & 255);
  return dr * dr + dg * dg + db * db;
}

/** The style of a run of text. */
export interface Style {
  bold: boolean;
  italic: boolean;
  underline: boolean;
  strike: boolean;
  mono: boolean;
  /** Reverse video is toggled on (views may ignore it: it can be used to hide text). */
  reverse: boolean;
  fg?: IrcColour;
  bg?: IrcColour;
}

/** A piece of text with one style. */
export interface StyledRun {
  text: string;
  style: Style;
}

const PLAIN: Style = {
  bold: false,
  italic: false,
  underline: false,
  strike: false,
  mono: false,
  reverse: false,
};

/** A mIRC colour number; 99 and anything above 98 mean "the default colour". */
function mircColour(digits: string): number | undefined {
  const n = Number(digits);
  return n <= 98 ? n : undefined;
}

/**
 * Reads IRC formatting codes into runs of styled text, for every client's view. Only the
 * formatting codes are consumed; every other character, control characters included, stays
 * in the text for the view to neutralise as its medium needs. Judging readability (a colour
 * on a too similar background, reverse video) is also the view's: it knows its background.
 *
 * @example
 * ```ts
 * import { formatRuns } from "./formatting.ts";
 * const runs = formatRuns("a \x02b\x02 \x0304red\x03 \x04FF8000hex");
 * runs.map((r) => r.text); // ["a ", "b", " ", "red", " ", "hex"]
 * runs[1].style.bold; // true
 * runs[3].style.fg; // 4
 * runs[5].style.fg; // "#ff8000"
 * ```
 */
export function formatRuns(text: string): StyledRun[] {
  const runs: StyledRun[] = [];
  const style: Style = { ...PLAIN };
  let buf = "";
  const flush = () => {
    if (buf === "") return;
    const s: Style = { ...style };
    if (s.fg === undefined) delete s.fg;
    if (s.bg === undefined) delete s.bg;
    const last = runs.at(-1);
    if (last && sameStyle(last.style, s)) last.text += buf;
    else runs.push({ text: buf, style: s });
    buf = "";
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    switch (ch) {
      case "\x02":
        flush();
        style.bold = !style.bold;
        break;
      case "\x1d":
        flush();
        style.italic = !style.italic;
        break;
      case "\x1f":
        flush();
        style.underline = !style.underline;
        break;
      case "\x1e":
        flush();
        style.strike = !style.strike;
        break;
      case "\x11":
        flush();
        style.mono = !style.mono;
        break;
      case "\x16":
        flush();
        style.reverse = !style.reverse;
        break;
      case "\x0f":
        flush();
        Object.assign(style, PLAIN, { fg: undefined, bg: undefined });
        break;
      case "\x03": {
        flush();
        const m = /^(\d{1,2})(?:,(\d{1,2}))?/.exec(text.slice(i + 1));
        if (!m) {
          style.fg = style.bg = undefined;
          break;
        }
        i += m[0].length;
        style.fg = mircColour(m[1]);
        if (m[2] !== undefined) style.bg = mircColour(m[2]);
        break;
      }
      case "\x04": {
        flush();
        const m = /^([0-9a-fA-F]{6})(?:,([0-9a-fA-F]{6}))?/.exec(text.slice(i + 1));
        if (!m) {
          style.fg = style.bg = undefined;
          break;
        }
        i += m[0].length;
        style.fg = `#${m[1].toLowerCase()}`;
        if (m[2] !== undefined) style.bg = `#${m[2].toLowerCase()}`;
        break;
      }
      default:
        buf += ch;
    }
  }
  flush();
  return runs;
}

function sameStyle(a: Style, b: Style): boolean {
  return a.bold === b.bold && a.italic === b.italic && a.underline === b.underline &&
    a.strike === b.strike && a.mono === b.mono && a.reverse === b.reverse && a.fg === b.fg &&
    a.bg === b.bg;
}
