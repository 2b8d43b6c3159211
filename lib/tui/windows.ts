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
  kind: "status" | "channel" | "query";
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
  open(name: string, kind: "channel" | "query", focus: boolean): Window {
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
    this.#current = idx;
    const w = this.windows[idx];
    w.unread = 0;
    w.highlight = false;
    w.activity = false;
  }

  /** Adds a line to a window, counting it as unread when that window is not shown. */
  add(w: Window, line: ChatLine): void {
    w.lines.push(line);
    if (w.lines.length > this.#maxLines) w.lines.splice(0, w.lines.length - this.#maxLines);
    if (w === this.current) return;
    if (line.kind === "message" || line.kind === "action" || line.kind === "notice") {
      w.unread++;
      if (line.highlight || (w.kind === "query" && !line.self)) w.highlight = true;
    } else if (!isQuietKind(line.kind)) {
      w.activity = true;
    }
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
  return { name, kind, lines: [], unread: 0, highlight: false, activity: false, scroll: 0 };
}
