/**
 * Parsing of mode strings such as `+ov-k alice bob key` into a list of changes, using the
 * parameter rules of ISUPPORT CHANMODES and PREFIX.
 *
 * @module
 */

/** How a mode takes its parameter (ISUPPORT CHANMODES types A-D, plus prefix modes). */
export type ModeKind = "list" | "always" | "set-only" | "never" | "prefix";

/** One requested mode change. `arg` is undefined when the mode takes none or none was given. */
export interface ModeChange {
  add: boolean;
  mode: string;
  arg?: string;
}

/** The channel modes of this server, by kind (CHANMODES=beI,k,l,imnst and PREFIX=(ov)@+). */
export const CHANNEL_MODE_KINDS: Readonly<Record<string, ModeKind>> = {
  b: "list",
  e: "list",
  I: "list",
  k: "always",
  l: "set-only",
  i: "never",
  m: "never",
  n: "never",
  s: "never",
  t: "never",
  o: "prefix",
  v: "prefix",
};

/**
 * Splits a mode string and its arguments into changes. A mode unknown to `kinds` comes out
 * with kind-less handling (no argument taken) so the caller can answer ERR_UNKNOWNMODE.
 *
 * @example
 * ```ts
 * import { CHANNEL_MODE_KINDS, parseModeChanges } from "./modes.ts";
 * parseModeChanges("+ol-t", ["bob", "10"], CHANNEL_MODE_KINDS);
 * // [{ add: true, mode: "o", arg: "bob" }, { add: true, mode: "l", arg: "10" },
 * //  { add: false, mode: "t" }]
 * ```
 */
export function parseModeChanges(
  modestring: string,
  args: readonly string[],
  kinds: Readonly<Record<string, ModeKind>>,
): ModeChange[] {
  const changes: ModeChange[] = [];
  let add = true;
  let next = 0;
  for (const mode of modestring) {
    if (mode === "+" || mode === "-") {
      add = mode === "+";
      continue;
    }
    const kind = kinds[mode];
    const takes = kind === "list" || kind === "always" || kind === "prefix" ||
      (kind === "set-only" && add);
    if (takes && next < args.length) changes.push({ add, mode, arg: args[next++] });
    else changes.push({ add, mode });
  }
  return changes;
}

/**
 * Formats applied changes as a mode string and its arguments: `["+ov-b", "a", "b", "m!*@*"]`.
 *
 * @example
 * ```ts
 * import { formatModeChanges } from "./modes.ts";
 * formatModeChanges([{ add: true, mode: "o", arg: "bob" }, { add: false, mode: "t" }]);
 * // ["+o-t", "bob"]
 * ```
 */
export function formatModeChanges(changes: readonly ModeChange[]): string[] {
  let modes = "";
  let sign = "";
  const args: string[] = [];
  for (const c of changes) {
    const s = c.add ? "+" : "-";
    if (s !== sign) modes += sign = s;
    modes += c.mode;
    if (c.arg !== undefined) args.push(c.arg);
  }
  return [modes, ...args];
}
