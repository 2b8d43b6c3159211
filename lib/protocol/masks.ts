/**
 * Hostmasks (`nick!user@host`) with `*` and `?` wildcards, as used by channel bans.
 *
 * @module
 */

import { casefold } from "./casemap.ts";

/**
 * Completes a partial mask the way IRC servers do: `nick` → `nick!*@*`,
 * `user@host` → `*!user@host`, `nick!user` → `nick!user@*`.
 *
 * @example
 * ```ts
 * import { normalizeMask } from "./masks.ts";
 * normalizeMask("bob"); // "bob!*@*"
 * normalizeMask("*@10.0.0.1"); // "*!*@10.0.0.1"
 * ```
 */
export function normalizeMask(mask: string): string {
  const bang = mask.indexOf("!");
  const at = mask.indexOf("@");
  if (bang === -1 && at === -1) return `${mask}!*@*`;
  if (bang === -1) return `*!${mask}`;
  if (at === -1) return `${mask}@*`;
  return mask;
}

/**
 * Whether a hostmask matches a glob pattern (`*` any run, `?` one character), compared
 * under the server's casemapping.
 *
 * @example
 * ```ts
 * import { maskMatches } from "./masks.ts";
 * maskMatches("*!*@10.0.0.*", "bob!~b@10.0.0.7"); // true
 * ```
 */
export function maskMatches(pattern: string, hostmask: string): boolean {
  const p = casefold(pattern);
  const s = casefold(hostmask);
  // iterative glob with backtracking to the last '*': linear in practice, no regex
  let pi = 0, si = 0, star = -1, mark = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === "?" || p[pi] === s[si])) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === "*") {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}
