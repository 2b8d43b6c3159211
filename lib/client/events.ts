/**
 * What the IRC client tells its user interface: lines to show in a window, and hints that
 * windows opened or closed or that the status changed. Both the TUI and the line mode
 * consume these.
 *
 * @module
 */

/**
 * The name of the server (status) window.
 *
 * @example
 * ```ts
 * import { STATUS_WINDOW } from "./events.ts";
 * const line = { time: new Date(), window: STATUS_WINDOW, kind: "info", text: "hi" };
 * ```
 */
export const STATUS_WINDOW = "*status*";
/**
 * A pseudo window meaning "whichever window the user is looking at".
 *
 * @example
 * ```ts
 * import { ACTIVE_WINDOW } from "./events.ts";
 * const line = { time: new Date(), window: ACTIVE_WINDOW, kind: "error", text: "oops" };
 * ```
 */
export const ACTIVE_WINDOW = "";

/**
 * The kind of a line, which decides how it is drawn.
 *
 * @example
 * ```ts
 * import type { LineKind } from "./events.ts";
 * const kind: LineKind = "join";
 * ```
 */
export type LineKind =
  | "message"
  | "action"
  | "notice"
  | "join"
  | "part"
  | "quit"
  | "nick"
  | "kick"
  | "topic"
  | "mode"
  | "info"
  | "error";

/**
 * One line for a window. Text is raw network text: the UI must sanitise it.
 *
 * @example
 * ```ts
 * import type { ChatLine } from "./events.ts";
 * const line: ChatLine = { time: new Date(), window: "#a", kind: "message", nick: "al", text: "hi" };
 * ```
 */
export interface ChatLine {
  /** When it happened (server-time when the server sent it). */
  time: Date;
  /** The window: a channel, a nick (query), {@link STATUS_WINDOW} or {@link ACTIVE_WINDOW}. */
  window: string;
  /** How to draw it. */
  kind: LineKind;
  /** The sender of a message, action or notice. */
  nick?: string;
  /** The text: the message, or a full sentence for events. */
  text: string;
  /** Sent by us. */
  self?: boolean;
  /** Mentions our nick. */
  highlight?: boolean;
  /** A copy of a line already sent to another window (a quit seen in two channels). */
  duplicate?: boolean;
  /** Replayed history (from before we joined), shown dimmed with its original time. */
  history?: boolean;
  /** The server's id of the message (IRCv3 msgid), which tells a replayed copy apart. */
  msgid?: string;
  /** The time is the server's (server-time), so it may be sent back in MARKREAD. */
  stamped?: boolean;
  /** The msgid of the message this one answers (`+draft/reply`). */
  replyTo?: string;
  /** Deleted by its sender or an operator (REDACT): shown as "(message deleted)". */
  redacted?: boolean;
  /** Reactions to it (`+draft/react`), in the order they first came; kept by the UI. */
  reactions?: Reaction[];
  /** Where a search result was said (a channel or nick), shown before the sender. */
  origin?: string;
}

/**
 * One reaction to a message and who reacted with it.
 *
 * @example
 * ```ts
 * import type { Reaction } from "./events.ts";
 * const r: Reaction = { reaction: "👍", nicks: ["ann"], ids: ["m1"] };
 * ```
 */
export interface Reaction {
  /** The reaction text (an emoji, usually). */
  reaction: string;
  /** Who reacted, in order. */
  nicks: string[];
  /** The msgids of the reacting TAGMSGs (a REDACT of one takes it back). */
  ids: string[];
}

/**
 * An event from the client to the UI.
 *
 * @example
 * ```ts
 * import type { ClientEvent } from "./events.ts";
 * const e: ClientEvent = { type: "open", window: "#a", focus: true };
 * ```
 */
export type ClientEvent =
  | { type: "line"; line: ChatLine }
  | { type: "open"; window: string; focus: boolean }
  | { type: "close"; window: string }
  /** A private conversation follows its peer's nick change. */
  | { type: "rename"; from: string; to: string }
  /** Older lines of a window, oldest first, fetched with CHATHISTORY BEFORE (maybe none). */
  | { type: "older"; window: string; lines: ChatLine[] }
  /** A message of a window was deleted (REDACT). */
  | { type: "redact"; window: string; msgid: string }
  /** Someone reacted to a message of a window (TAGMSG with `+draft/react`). */
  | { type: "react"; window: string; msgid: string; nick: string; reaction: string; id?: string }
  /** The read marker of a window (draft/read-marker): null when nothing was read yet. */
  | { type: "markread"; window: string; time: Date | null }
  /** The results of a SEARCH (soju.im/search), oldest first. */
  | { type: "search"; query: string; lines: ChatLine[] }
  | { type: "state" };

/**
 * Whether a line kind is a quiet membership line (join/part/quit/nick).
 *
 * @example
 * ```ts
 * import { isQuietKind } from "./events.ts";
 * isQuietKind("join"); // true
 * isQuietKind("message"); // false
 * ```
 */
export function isQuietKind(kind: LineKind): boolean {
  return kind === "join" || kind === "part" || kind === "quit" || kind === "nick";
}
