/**
 * What both clients start from: the channel web and terminal users meet in by default, and
 * the IRCv3 capabilities each asks for when the server offers them (one list, so the two
 * differ only where their needs do).
 *
 * @module
 */

/**
 * The channel a client joins when the user names none, the same in the terminal and the
 * browser, so that people meet without agreeing on a name first.
 *
 * @example
 * ```ts
 * import { DEFAULT_CHANNEL } from "./client_defaults.ts";
 * DEFAULT_CHANNEL; // "#lobby"
 * ```
 */
export const DEFAULT_CHANNEL = "#lobby";

/**
 * What every client wants: timestamps, our own messages echoed (so what we see is what
 * others got, with its msgid), every status prefix in NAMES, batches, and message tags
 * (msgid tells a replayed line we already show from a new one).
 *
 * @example
 * ```ts
 * import { COMMON_CAPS } from "./client_defaults.ts";
 * COMMON_CAPS.includes("server-time"); // true
 * ```
 */
export const COMMON_CAPS: readonly string[] = [
  "server-time",
  "echo-message",
  "multi-prefix",
  "batch",
  "message-tags",
];

/**
 * The terminal client's list. It does not ask for chathistory: the server then replays a
 * channel's last lines on join inside a chathistory batch by itself, which is all a terminal
 * scrollback needs.
 *
 * @example
 * ```ts
 * import { TERMINAL_CAPS } from "./client_defaults.ts";
 * TERMINAL_CAPS.includes("away-notify"); // true
 * ```
 */
export const TERMINAL_CAPS: readonly string[] = [...COMMON_CAPS, "away-notify"];

/**
 * The browser's list: cap-notify, away-notify (and extended-monitor, for friends), and chathistory, since
 * the page fetches history itself (on open, on reload and when scrolled to the top).
 *
 * @example
 * ```ts
 * import { BROWSER_CAPS } from "./client_defaults.ts";
 * BROWSER_CAPS.includes("draft/chathistory"); // true
 * ```
 */
export const BROWSER_CAPS: readonly string[] = [
  ...COMMON_CAPS,
  "cap-notify",
  "away-notify",
  // with away-notify: the away changes of friends (MONITOR) who share no channel with us
  "extended-monitor",
  "draft/chathistory",
  "chathistory",
];
