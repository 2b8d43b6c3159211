/**
 * Neutralising text that came from the network before it reaches a terminal.
 *
 * Nicks, messages, topics and server text may contain control characters, ANSI escape
 * sequences, C1 controls or bidirectional overrides. None of them may drive the terminal:
 * IRC formatting codes are removed, other controls become visible caret notation (`^[`),
 * C1 controls become U+FFFD and bidi controls are dropped.
 *
 * @module
 */

import { stripFormatting } from "../shared/formatting.ts";

export { stripFormatting };

/**
 * Makes network text safe to print: formatting codes removed, tab to a space, other C0
 * controls and DEL shown in caret notation (ESC becomes the two characters `^[`), C1
 * controls (U+0080–U+009F) replaced by U+FFFD, line/paragraph separators turned into
 * spaces, and bidirectional control characters removed. The result contains no character
 * a terminal would act on.
 *
 * @example
 * ```ts
 * import { sanitize } from "./sanitize.ts";
 * sanitize("evil\x1b[2Jnick"); // "evil^[[2Jnick"
 * sanitize("a\u202Eb"); // "ab"
 * ```
 */
export function sanitize(text: string): string {
  const s = stripFormatting(text);
  // deno-lint-ignore no-control-regex
  if (!/[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/.test(s)) return s;
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 9) out += " ";
    else if (c < 32) out += "^" + String.fromCharCode(c + 64);
    else if (c === 127) out += "^?";
    else if (c >= 0x80 && c <= 0x9f) out += "\uFFFD";
    else if (c === 0x2028 || c === 0x2029) out += " ";
    else if (
      c === 0x061c || c === 0x200e || c === 0x200f || (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069)
    ) continue;
    else out += ch;
  }
  return out;
}
