/**
 * Plain-text formatting of {@link ChatLine}s, as printed by the line mode:
 * `[12:01] <alice> hi`, `[12:01] * alice waves`, `[12:01] -- bob joined #lobby`.
 *
 * @module
 */

import type { ChatLine } from "./events.ts";
import { sanitize } from "../tui/sanitize.ts";

/**
 * `[HH:MM]` in local time.
 *
 * @example
 * ```ts
 * import { timestamp } from "./format.ts";
 * timestamp(new Date(2024, 0, 1, 9, 5)); // "[09:05]"
 * ```
 */
export function timestamp(d: Date): string {
  const hh = String(d.getHours()).padStart(2, "0");
  const mm = String(d.getMinutes()).padStart(2, "0");
  return `[${hh}:${mm}]`;
}

/**
 * The body of a line without its timestamp, sanitised: `<alice> hi`, `* alice waves`,
 * `-alice- note`, `-- text` for events and `!! text` for errors.
 *
 * @example
 * ```ts
 * import { lineBody } from "./format.ts";
 * lineBody({ time: new Date(), window: "#a", kind: "message", nick: "al", text: "hi" });
 * // "<al> hi"
 * ```
 */
export function lineBody(line: ChatLine): string {
  const text = sanitize(line.text);
  const nick = sanitize(line.nick ?? "");
  switch (line.kind) {
    case "message":
      return `<${nick}> ${text}`;
    case "action":
      return `* ${nick} ${text}`;
    case "notice":
      return nick === "" ? `-!- ${text}` : `-${nick}- ${text}`;
    case "error":
      return `!! ${text}`;
    default:
      return `-- ${text}`;
  }
}

/**
 * One plain line: timestamp, an optional window label, and the body.
 *
 * @example
 * ```ts
 * import { formatPlain } from "./format.ts";
 * const time = new Date(2024, 0, 1, 12, 1);
 * formatPlain({ time, window: "#a", kind: "message", nick: "alice", text: "hi" });
 * // "[12:01] <alice> hi"
 * formatPlain({ time, window: "#b", kind: "message", nick: "bob", text: "yo" }, true);
 * // "[12:01] #b <bob> yo"
 * ```
 */
export function formatPlain(line: ChatLine, showWindow = false): string {
  const label = showWindow && line.window !== "" ? sanitize(line.window) + " " : "";
  return `${timestamp(line.time)} ${label}${lineBody(line)}`;
}
