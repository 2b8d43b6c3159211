/**
 * Validation of names on the wire: nicknames, channel names, user names.
 *
 * @module
 */

const SPECIAL = "[]\\`_^{|}";

/**
 * Whether `nick` is a valid nickname of at most `maxLen` characters: a letter or one of
 * ``[]\`_^{|}`` first, then letters, digits, those, or '-'.
 *
 * @example
 * ```ts
 * import { isValidNick } from "./validate.ts";
 * isValidNick("alice", 30); // true
 * isValidNick("9lives", 30); // false
 * ```
 */
export function isValidNick(nick: string, maxLen: number): boolean {
  if (nick.length === 0 || nick.length > maxLen) return false;
  for (let i = 0; i < nick.length; i++) {
    const ch = nick[i];
    const c = nick.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (letter || SPECIAL.includes(ch)) continue;
    if (i > 0 && ((c >= 48 && c <= 57) || ch === "-")) continue;
    return false;
  }
  return true;
}

/**
 * Whether `name` is a valid channel name: '#', then at most `maxLen - 1` characters
 * with no space, comma, BEL or other control character.
 *
 * @example
 * ```ts
 * import { isValidChannel } from "./validate.ts";
 * isValidChannel("#lobby", 64); // true
 * isValidChannel("lobby", 64); // false
 * ```
 */
export function isValidChannel(name: string, maxLen: number): boolean {
  if (name.length < 2 || name.length > maxLen || name[0] !== "#") return false;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 32 || c === 44 || c === 127) return false;
  }
  return true;
}

/**
 * Whether a target names a channel (by its type prefix).
 *
 * @example
 * ```ts
 * import { isChannelName } from "./validate.ts";
 * isChannelName("#a"); // true
 * ```
 */
export function isChannelName(target: string): boolean {
  return target.startsWith("#");
}

/**
 * Cleans the user name given in USER: keeps safe ASCII characters, caps the length, and
 * marks it with '~' since no ident check is done. Returns undefined when nothing is left.
 *
 * @example
 * ```ts
 * import { sanitizeUsername } from "./validate.ts";
 * sanitizeUsername("alice", 18); // "~alice"
 * ```
 */
export function sanitizeUsername(raw: string, maxLen: number): string | undefined {
  const cleaned = raw.replace(/[^A-Za-z0-9_.\-\[\]\\`^{|}]/g, "").slice(0, maxLen - 1);
  return cleaned === "" ? undefined : "~" + cleaned;
}

/**
 * Removes control characters (other than IRC formatting codes) from free text such as
 * a real name or away message, and caps its length in UTF-16 units.
 *
 * @example
 * ```ts
 * import { cleanText } from "./validate.ts";
 * cleanText("hi\u0000there", 10); // "hithere"
 * ```
 */
export function cleanText(raw: string, maxLen: number): string {
  // deno-lint-ignore no-control-regex
  return raw.replace(/[\x00\r\n]/g, "").slice(0, maxLen);
}
