// deno-lint-ignore-file no-control-regex -- IRC formatting codes are control characters
/**
 * mIRC-style formatting (bold, italics, underline, strikethrough, monospace, reverse,
 * colours) for every client: removed for plain text, or read into styled runs that a view
 * can show without letting a sender hide text or break the layout.
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
  return text
    .replace(/\x03(\d{1,2}(,\d{1,2})?)?/g, "")
    .replace(/\x04([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?/g, "")
    .replace(/[\x02\x0f\x11\x16\x1d\x1e\x1f]/g, "");
}

/** The style of a run of text. Colours are mIRC colour numbers 0–15 (others are dropped). */
export interface Style {
  bold: boolean;
  italic: boolean;
  underline: boolean;
  strike: boolean;
  mono: boolean;
  /** Foreground colour 0–15, if any. */
  fg?: number;
  /** Background colour 0–15, if any. */
  bg?: number;
}

/** A piece of text with one style. */
export interface StyledRun {
  text: string;
  style: Style;
}

const PLAIN: Style = { bold: false, italic: false, underline: false, strike: false, mono: false };

/**
 * Reads formatting codes into runs of styled text. Safe by construction: colours are only
 * the 16 mIRC numbers (99 and the hex form mean "default"), a run whose foreground equals
 * its background loses its background (so text can never be made invisible), reverse is
 * applied as swapped colours, and every other control character is removed.
 *
 * @example
 * ```ts
 * import { formatRuns } from "./formatting.ts";
 * const runs = formatRuns("a \x02b\x02 \x0304red\x03");
 * runs.map((r) => r.text); // ["a ", "b", " ", "red"]
 * runs[1].style.bold; // true
 * runs[3].style.fg; // 4
 * formatRuns("\x0301,01hidden")[0].style.bg; // undefined
 * ```
 */
export function formatRuns(text: string): StyledRun[] {
  const runs: StyledRun[] = [];
  let style: Style = { ...PLAIN };
  let reverse = false;
  let buf = "";
  const flush = () => {
    if (buf === "") return;
    let fg = style.fg;
    let bg = style.bg;
    if (reverse) [fg, bg] = [bg ?? 0, fg ?? 1];
    if (bg !== undefined && fg === bg) bg = undefined;
    const s: Style = { ...style, fg, bg };
    if (s.fg === undefined) delete s.fg;
    if (s.bg === undefined) delete s.bg;
    runs.push({ text: buf, style: s });
    buf = "";
  };
  const colour = (digits: string | undefined): number | undefined => {
    if (digits === undefined) return undefined;
    const n = Number(digits);
    return n >= 0 && n <= 15 ? n : undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const code = ch.charCodeAt(0);
    if (code >= 32 && code !== 127) {
      buf += ch;
      continue;
    }
    if (code === 9) {
      buf += " ";
      continue;
    }
    flush();
    switch (code) {
      case 0x02:
        style.bold = !style.bold;
        break;
      case 0x1d:
        style.italic = !style.italic;
        break;
      case 0x1f:
        style.underline = !style.underline;
        break;
      case 0x1e:
        style.strike = !style.strike;
        break;
      case 0x11:
        style.mono = !style.mono;
        break;
      case 0x16:
        reverse = !reverse;
        break;
      case 0x0f:
        style = { ...PLAIN };
        reverse = false;
        break;
      case 0x03: {
        const m = /^(\d{1,2})(?:,(\d{1,2}))?/.exec(text.slice(i + 1));
        if (!m) {
          delete style.fg;
          delete style.bg;
          break;
        }
        i += m[0].length;
        style.fg = colour(m[1]);
        if (m[2] !== undefined) style.bg = colour(m[2]);
        break;
      }
      case 0x04: {
        // hex colours: read and dropped (only the 16 palette colours are shown)
        const m = /^[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?/.exec(text.slice(i + 1));
        if (m) i += m[0].length;
        break;
      }
      default:
        break; // any other control character is dropped
    }
  }
  flush();
  return runs;
}
