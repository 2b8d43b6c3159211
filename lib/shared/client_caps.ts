/**
 * The IRCv3 capabilities each client asks for when the server offers them: one list, so
 * the two clients differ only where their needs do.
 *
 * @module
 */

/**
 * What every client wants: timestamps, our own messages echoed (so what we see is what
 * others got, with its msgid), every status prefix in NAMES, and batches.
 *
 * @example
 * ```ts
 * import { COMMON_CAPS } from "./client_caps.ts";
 * COMMON_CAPS.includes("server-time"); // true
 * ```
 */
export const COMMON_CAPS: readonly string[] = [
  "server-time",
  "echo-message",
  "multi-prefix",
  "batch",
];

/**
 * The terminal client's list. It does not ask for chathistory: the server then replays a
 * channel's last lines on join inside a chathistory batch by itself, which is all a terminal
 * scrollback needs.
 *
 * @example
 * ```ts
 * import { TERMINAL_CAPS } from "./client_caps.ts";
 * TERMINAL_CAPS.includes("away-notify"); // true
 * ```
 */
export const TERMINAL_CAPS: readonly string[] = [...COMMON_CAPS, "away-notify"];

/**
 * The browser's list: message tags for typing notices, cap-notify, and chathistory, since
 * the page fetches history itself (on open, on reload and when scrolled to the top).
 *
 * @example
 * ```ts
 * import { BROWSER_CAPS } from "./client_caps.ts";
 * BROWSER_CAPS.includes("draft/chathistory"); // true
 * ```
 */
export const BROWSER_CAPS: readonly string[] = [
  ...COMMON_CAPS,
  "message-tags",
  "cap-notify",
  "away-notify",
  "draft/chathistory",
  "chathistory",
];
