/**
 * IRCv3 `draft/read-marker` parameters: the `timestamp=…` form MARKREAD carries, both ways.
 * Pure and browser-safe.
 *
 * @module
 */

/**
 * The MARKREAD timestamp parameter for a time.
 *
 * @example
 * ```ts
 * import { markreadParam } from "./markread.ts";
 * import assert from "node:assert/strict";
 * assert.equal(markreadParam(new Date(Date.UTC(2019, 0, 4, 14, 33, 26, 123))),
 *   "timestamp=2019-01-04T14:33:26.123Z");
 * ```
 */
export function markreadParam(time: Date): string {
  return `timestamp=${time.toISOString()}`;
}

/**
 * Reads a MARKREAD timestamp parameter: the time, null for `*` (nothing read yet), or
 * undefined when it is malformed (to be ignored).
 *
 * @example
 * ```ts
 * import { parseMarkreadParam } from "./markread.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseMarkreadParam("timestamp=2019-01-04T14:33:26.123Z")?.getTime(), 1546612406123);
 * assert.equal(parseMarkreadParam("*"), null);
 * assert.equal(parseMarkreadParam("yesterday"), undefined);
 * ```
 */
export function parseMarkreadParam(param: string | undefined): Date | null | undefined {
  if (param === "*") return null;
  if (param === undefined || !param.startsWith("timestamp=")) return undefined;
  const d = new Date(param.slice("timestamp=".length));
  return Number.isNaN(d.getTime()) ? undefined : d;
}
