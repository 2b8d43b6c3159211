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
 * The timestamp of a line: `[HH:MM]`; replayed history and search results from another day
 * also show the date (`[2024-01-01 09:05]`), so old lines are not mistaken for today's.
 *
 * @example
 * ```ts
 * import { lineStamp } from "./format.ts";
 * const now = new Date(2024, 0, 2, 12, 0);
 * lineStamp({ time: new Date(2024, 0, 1, 9, 5), window: "#a", kind: "message", text: "",
 *   history: true }, now); // "[2024-01-01 09:05]"
 * lineStamp({ time: new Date(2024, 0, 2, 9, 5), window: "#a", kind: "message", text: "",
 *   history: true }, now); // "[09:05]"
 * ```
 */
export function lineStamp(line: ChatLine, now: Date = new Date()): string {
  const d = line.time;
  if (
    (!line.history && line.origin === undefined) ||
    (d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() &&
      d.getDate() === now.getDate())
  ) {
    return timestamp(d);
  }
  const day = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${
    String(d.getDate()).padStart(2, "0")
  }`;
  return `[${day} ${timestamp(d).slice(1)}`;
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
  // the lines of a multi-line message stay on one printed line, apart by " | "
  const text = line.redacted
    ? "(message deleted)"
    : line.text.split("\n").map(sanitize).join(" | ");
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
  const where = line.origin ?? (showWindow ? line.window : "");
  const label = where !== "" ? sanitize(where) + " " : "";
  return `${lineStamp(line)} ${label}${lineBody(line)}`;
}
