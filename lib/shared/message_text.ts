/**
 * Message text rules every client shares: cutting a message to the line limit, finding a
 * mention of our nick, CTCP ACTION (`/me`), and the nick of a message's source.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";

/**
 * Splits a message into pieces of at most `maxBytes` UTF-8 bytes, at spaces where possible
 * and never inside a character.
 *
 * @example
 * ```ts
 * import { splitText } from "./message_text.ts";
 * splitText("aaa bbb ccc", 8); // ["aaa bbb", "ccc"]
 * splitText("ééé", 4); // ["éé", "é"]
 * ```
 */
export function splitText(text: string, maxBytes: number): string[] {
  const enc = new TextEncoder();
  if (enc.encode(text).length <= maxBytes) return [text];
  const out: string[] = [];
  let cur = "";
  let curBytes = 0;
  let lastSpace = -1; // index in cur after which to break
  for (const ch of text) {
    const b = enc.encode(ch).length;
    if (curBytes + b > maxBytes) {
      if (lastSpace > 0) {
        out.push(cur.slice(0, lastSpace));
        cur = cur.slice(lastSpace + 1);
      } else {
        out.push(cur);
        cur = "";
      }
      curBytes = enc.encode(cur).length;
      lastSpace = -1;
    }
    if (ch === " ") lastSpace = cur.length;
    cur += ch;
    curBytes += b;
  }
  if (cur !== "") out.push(cur);
  return out.filter((s) => s !== "");
}

/**
 * Whether `text` mentions `nick` as a word (IRC case-insensitive: `[` equals `{`).
 *
 * @example
 * ```ts
 * import { mentions } from "./message_text.ts";
 * mentions("hey Bob, look", "bob"); // true
 * mentions("bobby", "bob"); // false
 * mentions("[x]: hi", "{X}"); // true
 * ```
 */
export function mentions(text: string, nick: string): boolean {
  if (nick === "") return false;
  const t = casefold(text);
  const n = casefold(nick);
  let i = t.indexOf(n);
  const isWordChar = (c: string | undefined) => c !== undefined && /[\w\[\]\\`^{|}~-]/.test(c);
  while (i !== -1) {
    if (!isWordChar(t[i - 1]) && !isWordChar(t[i + n.length])) return true;
    i = t.indexOf(n, i + 1);
  }
  return false;
}

/**
 * The text of a CTCP ACTION (`/me waves`), or undefined for any other message.
 *
 * @example
 * ```ts
 * import { actionText } from "./message_text.ts";
 * actionText("\x01ACTION waves\x01"); // "waves"
 * actionText("hello"); // undefined
 * ```
 */
export function actionText(text: string): string | undefined {
  // deno-lint-ignore no-control-regex -- CTCP is delimited by \x01
  const m = /^\x01ACTION(?: (.*?))?\x01?$/.exec(text);
  return m ? (m[1] ?? "") : undefined;
}

/**
 * The nick part of a message source (`nick!user@host`), the server name for a server
 * source, "" when there is none.
 *
 * @example
 * ```ts
 * import { sourceNick } from "./message_text.ts";
 * sourceNick("ann!u@h"); // "ann"
 * sourceNick("irc.local"); // "irc.local"
 * sourceNick(undefined); // ""
 * ```
 */
export function sourceNick(source: string | undefined): string {
  if (!source) return "";
  const bang = source.indexOf("!");
  return bang === -1 ? source : source.slice(0, bang);
}

/**
 * The `user@host` of a message source, or "" when it has none (a server source).
 *
 * @example
 * ```ts
 * import { sourceUserhost } from "./message_text.ts";
 * sourceUserhost("ann!a@h"); // "a@h"
 * sourceUserhost("irc.local"); // ""
 * ```
 */
export function sourceUserhost(source: string | undefined): string {
  if (!source) return "";
  const bang = source.indexOf("!");
  return bang === -1 ? "" : source.slice(bang + 1);
}
