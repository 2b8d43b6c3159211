/**
 * The list of windows: the status window first, then one per channel and per private
 * conversation, each with its lines, unread count, highlight mark and scroll position.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import type { ChatLine } from "../client/events.ts";
import { isQuietKind, STATUS_WINDOW } from "../client/events.ts";

/**
 * One window.
 *
 * @example
 * ```ts
 * import { WindowList } from "./windows.ts";
 * const w = new WindowList().open("#a", "channel", true);
 * w.unread; // 0
 * ```
 */
export interface Window {
  /** Display name: a channel, a nick, or the status window's name. */
  name: string;
  /** What it shows. */
  kind: "status" | "channel" | "query" | "search";
  /** Its lines, oldest first (capped). */
  lines: ChatLine[];
  /** Messages arrived while not looked at. */
  unread: number;
  /** A mention or private message arrived while not looked at. */
  highlight: boolean;
  /** Quiet events (joins, info) arrived while not looked at. */
  activity: boolean;
  /** How many screen rows the view is scrolled back (0 = following new lines). */
  scroll: number;
  /** Identities of the messages shown (see {@link lineIdentity}), to drop replayed copies. */
  seen: Set<string>;
  /** When older history was asked for (ms since the epoch) and has not arrived, else 0. */
  loadingOlder: number;
  /** The server has no older history for it. */
  historyExhausted: boolean;
  /**
   * Read up to this time (ms since the epoch): where the user left the window, or the
   * server's read marker (draft/read-marker). Undefined until known.
   */
  readUpTo: number | undefined;
  /** Whether the "new" marker line shows (there was something unread when looked at). */
  markerShown: boolean;
}

/** Whether a line counts as unread news: a message, action or notice from someone else. */
function isNews(line: ChatLine): boolean {
  return !line.self &&
    (line.kind === "message" || line.kind === "action" || line.kind === "notice");
}

/**
 * What makes a message the same message when a server replays it: its msgid, or for
 * servers without msgid its time, sender and text. Undefined for event lines (joins,
 * info), which are never deduplicated.
 *
 * @example
 * ```ts
 * import { lineIdentity } from "./windows.ts";
 * import assert from "node:assert/strict";
 * const t = new Date(0);
 * assert.equal(lineIdentity({ time: t, window: "#a", kind: "message", text: "hi", msgid: "x" }), "id:x");
 * assert.equal(lineIdentity({ time: t, window: "#a", kind: "join", text: "ann joined" }), undefined);
 * ```
 */
export function lineIdentity(line: ChatLine): string | undefined {
  if (line.msgid) return `id:${line.msgid}`;
  if (line.kind !== "message" && line.kind !== "action" && line.kind !== "notice") {
    return undefined;
  }
  return `t:${line.time.getTime()}\0${line.nick ?? ""}\0${line.text}`;
}

/**
 * The windows and which one is shown.
 *
 * @example
 * ```ts
 * import { WindowList } from "./windows.ts";
 * const wl = new WindowList();
 * wl.open("#lobby", "channel", true);
 * wl.current.name; // "#lobby"
 * wl.focus(1); // back to the status window (windows are numbered from 1)
 * ```
 */
export class WindowList {
  readonly windows: Window[] = [];
  #current = 0;
  readonly #maxLines: number;

  constructor(maxLines = 2000) {
    this.#maxLines = maxLines;
    this.windows.push(newWindow(STATUS_WINDOW, "status"));
  }

  /** The shown window. */
  get current(): Window {
    return this.windows[this.#current];
  }
  /** The shown window's number (from 1). */
  get currentNumber(): number {
    return this.#current + 1;
  }

  /** Finds a window by name (case-insensitively). */
  find(name: string): Window | undefined {
    const key = casefold(name);
    return this.windows.find((w) => casefold(w.name) === key);
  }

  /** Opens a window (or finds the existing one), optionally showing it. */
  open(name: string, kind: "channel" | "query" | "search", focus: boolean): Window {
    let w = this.find(name);
    if (!w) {
      w = newWindow(name, kind);
      this.windows.push(w);
    }
    if (focus) this.#show(this.windows.indexOf(w));
    return w;
  }

  /**
   * Renames a private conversation window (its peer changed nick); false if there is none.
   * Channel windows never rename.
   */
  rename(from: string, to: string): boolean {
    const w = this.find(from);
    if (!w || w.kind !== "query" || (this.find(to) && casefold(from) !== casefold(to))) {
      return false;
    }
    w.name = to;
    return true;
  }

  /** Closes a window (never the status window); shows a neighbour if it was shown. */
  close(name: string): boolean {
    const w = this.find(name);
    if (!w || w.kind === "status") return false;
    const idx = this.windows.indexOf(w);
    this.windows.splice(idx, 1);
    if (this.#current >= idx && this.#current > 0) this.#current--;
    this.#show(this.#current);
    return true;
  }

  /** Shows window number `n` (from 1); false if there is none. */
  focus(n: number): boolean {
    if (n < 1 || n > this.windows.length) return false;
    this.#show(n - 1);
    return true;
  }
  /** Shows the next window, wrapping around. */
  next(): void {
    this.#show((this.#current + 1) % this.windows.length);
  }
  /** Shows the previous window, wrapping around. */
  prev(): void {
    this.#show((this.#current - 1 + this.windows.length) % this.windows.length);
  }

  #show(idx: number): void {
    const left = this.windows[this.#current];
    if (left && idx !== this.#current) {
      // what was on screen when leaving is read; what comes later is new
      // by the server's clock when it gives one: the lines to compare with carry it too
      const last = this.newestStamped(left) ?? left.lines[left.lines.length - 1];
      if (last) left.readUpTo = Math.max(left.readUpTo ?? -Infinity, last.time.getTime());
      left.markerShown = true;
    }
    this.#current = idx;
    const w = this.windows[idx];
    // nothing unread on arrival: lines coming in while looking are not "new"
    if (this.markerIndex(w) === -1) w.markerShown = false;
    w.unread = 0;
    w.highlight = false;
    w.activity = false;
  }

  /**
   * Whether a line is a copy of one the window shows: a replayed history line (or any line
   * with a msgid) seen before. Live lines without msgid are never copies, even when the
   * same text comes twice in the same millisecond.
   */
  isCopy(w: Window, line: ChatLine): boolean {
    if (!line.history && !line.msgid) return false;
    const id = lineIdentity(line);
    if (id === undefined) return false;
    if (w.seen.has(id)) return true;
    // a replay may carry a msgid the live copy had not (or the other way round)
    return !!line.history && !!line.msgid &&
      w.seen.has(lineIdentity({ ...line, msgid: undefined })!);
  }

  /**
   * Adds a line to a window, counting it as unread when that window is not shown; false
   * (and nothing added) when it is a copy of a line already there (see {@link isCopy}).
   */
  add(w: Window, line: ChatLine): boolean {
    if (this.isCopy(w, line)) return false;
    // a live message coming in while the user looks, with nothing unread before it, is not
    // new (replayed history still may be: it is what they missed; and an event line such as
    // the member count after a join, between the server's marker and its replay, says nothing
    // of what was read)
    if (
      w === this.current && !line.history && isNews(line) && w.markerShown &&
      this.markerIndex(w) === -1
    ) {
      w.markerShown = false;
    }
    this.#remember(w, line);
    w.lines.push(line);
    if (w.lines.length > this.#maxLines) this.#trim(w);
    if (w === this.current) return true;
    this.#count(w, line);
    return true;
  }

  /**
   * Puts older lines (oldest first) above a window's lines, leaving out those it already
   * shows; returns the lines added. They are history: not unread.
   */
  prepend(w: Window, lines: ChatLine[]): ChatLine[] {
    const fresh = lines.filter((l) => !this.isCopy(w, l));
    for (const l of fresh) this.#remember(w, l);
    w.lines.unshift(...fresh);
    // the newest lines are what the user came for; older ones make room
    if (w.lines.length > this.#maxLines) w.lines.length = this.#maxLines;
    return fresh;
  }

  #remember(w: Window, line: ChatLine): void {
    const id = lineIdentity(line);
    if (id !== undefined) w.seen.add(id);
    // both forms for a line with a msgid: a replay without msgid still matches
    if (line.msgid) w.seen.add(lineIdentity({ ...line, msgid: undefined })!);
  }

  #trim(w: Window): void {
    w.lines.splice(0, w.lines.length - this.#maxLines);
    // keep the identity set bounded by what is kept
    if (w.seen.size > 4 * this.#maxLines) {
      w.seen = new Set();
      for (const l of w.lines) this.#remember(w, l);
    }
  }

  #count(w: Window, line: ChatLine): void {
    if (line.kind === "message" || line.kind === "action" || line.kind === "notice") {
      w.unread++;
      if (line.highlight || (w.kind === "query" && !line.self)) w.highlight = true;
    } else if (!isQuietKind(line.kind)) {
      w.activity = true;
    }
  }

  /**
   * The index of the first unread line (the "new" marker goes above it), or -1 when the
   * marker is not to show.
   */
  markerIndex(w: Window): number {
    if (w.readUpTo === undefined || w.lines.length === 0) return -1;
    const t = w.readUpTo;
    const i = w.lines.findIndex((l) => isNews(l) && l.time.getTime() > t);
    return i;
  }

  /**
   * The server's read marker for a window (the same account read it elsewhere): moves the
   * marker and recounts unread messages, unless the user is looking at it (then the marker
   * stays where it was when they came). Null means nothing read yet.
   */
  setReadMarker(w: Window, time: Date | null): void {
    if (time === null) return;
    const t = time.getTime();
    // looked at now: the marker stays where it was when the user came
    if (w === this.current && w.readUpTo !== undefined) return;
    // the server's marker is the account's, by the server's clock: it wins over ours
    w.readUpTo = t;
    w.markerShown = true;
    if (w === this.current) return;
    w.unread = w.lines.filter((l) => isNews(l) && l.time.getTime() > t).length;
    if (w.unread === 0) {
      w.highlight = false;
      w.activity = false;
    }
  }

  /** The newest line of a window that carries the server's time (for MARKREAD). */
  newestStamped(w: Window): ChatLine | undefined {
    for (let i = w.lines.length - 1; i >= 0; i--) if (w.lines[i].stamped) return w.lines[i];
    return undefined;
  }

  /** A line by its msgid, newest first. */
  byMsgid(w: Window, msgid: string): ChatLine | undefined {
    for (let i = w.lines.length - 1; i >= 0; i--) if (w.lines[i].msgid === msgid) return w.lines[i];
    return undefined;
  }

  /**
   * The `n`th last message of a window (1 = the last), counting messages and actions, own
   * ones only when `own`; only those with a msgid (which a reply, reaction or deletion needs).
   */
  nthMessage(w: Window, n: number, own: boolean): ChatLine | undefined {
    let seen = 0;
    for (let i = w.lines.length - 1; i >= 0; i--) {
      const l = w.lines[i];
      if ((l.kind !== "message" && l.kind !== "action") || l.redacted) continue;
      if (own && !l.self) continue;
      if (++seen === n) return l;
    }
    return undefined;
  }

  /**
   * Adds a reaction to a message of a window; the line changed, or undefined (no such
   * message, a deleted one, or a reaction this person already gave).
   */
  react(
    w: Window,
    msgid: string,
    nick: string,
    reaction: string,
    id?: string,
  ): ChatLine | undefined {
    const line = this.byMsgid(w, msgid);
    // a deleted message takes no reactions: a late one would show it as if still there
    if (!line || line.redacted) return undefined;
    const list = line.reactions ??= [];
    let r = list.find((x) => x.reaction === reaction);
    if (!r) {
      r = { reaction, nicks: [], ids: [] };
      list.push(r);
    }
    // one of each per person (a replayed copy, or the same reaction twice)
    if (r.nicks.some((n) => casefold(n) === casefold(nick))) return undefined;
    r.nicks.push(nick);
    r.ids.push(id ?? "");
    return line;
  }

  /**
   * A REDACT: the message with this msgid is shown deleted, or the reaction with it taken
   * back; the line changed, or undefined when the window has neither (ignored, as the
   * specification asks).
   */
  redact(w: Window, msgid: string): ChatLine | undefined {
    const line = this.byMsgid(w, msgid);
    if (line) {
      line.redacted = true;
      line.reactions = undefined;
      return line;
    }
    for (let i = w.lines.length - 1; i >= 0; i--) {
      const l = w.lines[i];
      for (const r of l.reactions ?? []) {
        const k = r.ids.indexOf(msgid);
        if (k === -1) continue;
        r.ids.splice(k, 1);
        r.nicks.splice(k, 1);
        return l;
      }
    }
    return undefined;
  }

  /** Numbers of other windows with something new, for the status line. */
  activity(): { number: number; unread: number; highlight: boolean }[] {
    const out: { number: number; unread: number; highlight: boolean }[] = [];
    this.windows.forEach((w, i) => {
      if (i === this.#current) return;
      if (w.unread > 0 || w.highlight) {
        out.push({ number: i + 1, unread: w.unread, highlight: w.highlight });
      }
    });
    return out;
  }
}

function newWindow(name: string, kind: Window["kind"]): Window {
  return {
    name,
    kind,
    lines: [],
    unread: 0,
    highlight: false,
    activity: false,
    scroll: 0,
    seen: new Set(),
    loadingOlder: 0,
    historyExhausted: false,
    readUpTo: undefined,
    markerShown: false,
  };
}
