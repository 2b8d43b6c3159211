/**
 * RFC 1459 casemapping, the one announced in ISUPPORT as `CASEMAPPING=rfc1459`:
 * ASCII letters fold to lower case and `[]\^` fold to `{}|~` (as modern.ircdocs.horse
 * describes it).
 *
 * @module
 */

/** The ISUPPORT name of the casemapping implemented here. */
export const CASEMAPPING = "rfc1459";

/**
 * Folds a nickname or channel name so that equal names compare equal.
 *
 * @example
 * ```ts
 * import { casefold } from "./casemap.ts";
 * casefold("Nick[Away]"); // "nick{away}"
 * ```
 */
export function casefold(name: string): string {
  let needs = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 91 && c <= 94)) {
      needs = true;
      break;
    }
  }
  if (!needs) return name;
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    // A-Z and [\]^ sit 32 below a-z and {|}~ in ASCII
    if ((c >= 65 && c <= 90) || (c >= 91 && c <= 94)) out += String.fromCharCode(c + 32);
    else out += name[i];
  }
  return out;
}
