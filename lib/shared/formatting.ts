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
