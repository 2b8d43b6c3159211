/**
 * MONITOR's replies as both clients read them. Pure and browser-safe.
 *
 * @module
 */

import { sourceNick } from "./message_text.ts";

/**
 * The nicks of a MONITOR reply (730 online: `nick!user@host,…`; 731 offline: `nick,…`),
 * empty items skipped.
 *
 * @example
 * ```ts
 * import { monitorNicks } from "./monitor.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(monitorNicks("ann!a@h,bob"), ["ann", "bob"]);
 * ```
 */
export function monitorNicks(list: string): string[] {
  return list.split(",").map((t) => sourceNick(t.trim())).filter((n) => n !== "");
}
