/**
 * The IRCv3 capabilities of the modern chat features (issue 15), which every client asks
 * for when the server offers them: read markers, deleting messages, multi-line messages and
 * history search. Replies and reactions need only `message-tags`; MONITOR and the file host
 * are ISUPPORT tokens, not capabilities.
 *
 * @module
 */

/**
 * The modern features' capabilities.
 *
 * @example
 * ```ts
 * import { MODERN_CAPS } from "./modern_caps.ts";
 * MODERN_CAPS.includes("draft/multiline"); // true
 * ```
 */
export const MODERN_CAPS: readonly string[] = [
  "draft/read-marker",
  "draft/message-redaction",
  // needs batch, which every client asks for
  "draft/multiline",
  "soju.im/search",
];
