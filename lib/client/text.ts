/**
 * Message text as the client handles it: splitting to the line limit, and mentions of a
 * nick.
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
 * import { splitText } from "./text.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(splitText("aaa bbb ccc", 8), ["aaa bbb", "ccc"]);
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
 * Whether `text` mentions `nick` as a word (case-insensitive).
 *
 * @example
 * ```ts
 * import { mentions } from "./text.ts";
 * import assert from "node:assert/strict";
 * assert.equal(mentions("hey Bob, look", "bob"), true);
 * assert.equal(mentions("bobby", "bob"), false);
 * ```
 */
export function mentions(text: string, nick: string): boolean {
  if (nick === "") return false;
  const t = casefold(text);
  const n = casefold(nick);
  let i = t.indexOf(n);
  const isWordChar = (c: string | undefined) => c !== undefined && /[\w\[\]\\`^{|}-]/.test(c);
  while (i !== -1) {
    if (!isWordChar(t[i - 1]) && !isWordChar(t[i + n.length])) return true;
    i = t.indexOf(n, i + 1);
  }
  return false;
}

/**
 * The nick of a message source (`nick!user@host` or a server name).
 *
 * @example
 * ```ts
 * import { nickOf } from "./text.ts";
 * import assert from "node:assert/strict";
 * assert.equal(nickOf("ann!a@h"), "ann");
 * assert.equal(nickOf(undefined), "");
 * ```
 */
export function nickOf(source: string | undefined): string {
  if (!source) return "";
  const bang = source.indexOf("!");
  return bang === -1 ? source : source.slice(0, bang);
}

/**
 * The `user@host` of a message source, or "" when it has none.
 *
 * @example
 * ```ts
 * import { userhostOf } from "./text.ts";
 * import assert from "node:assert/strict";
 * assert.equal(userhostOf("ann!a@h"), "a@h");
 * ```
 */
export function userhostOf(source: string | undefined): string {
  if (!source) return "";
  const bang = source.indexOf("!");
  return bang === -1 ? "" : source.slice(bang + 1);
}
