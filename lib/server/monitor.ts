/**
 * The MONITOR table (IRCv3 `monitor`): which sessions watch which nicks, and the online and
 * offline notices the {@link UserTable} fires when a nick is registered, changes or quits.
 * A watch list belongs to a session, not to the user: each device of a user sends its own
 * `MONITOR +` for the friends it shows, and clears them by leaving.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import { RPL_MONOFFLINE, RPL_MONONLINE } from "../protocol/numerics.ts";
import { Outgoing } from "./outgoing.ts";
import type { Session } from "./session.ts";
import type { User } from "./user.ts";

/**
 * Watch lists by session, and watchers by casefolded nick.
 *
 * @example
 * ```ts ignore
 * monitors.add(session, ["alice", "bob"], 100); // { added: ["alice", "bob"], full: [] }
 * monitors.online(alice); // ":srv 730 * :alice!~a@host" to every watcher of alice
 * ```
 */
export class MonitorTable {
  /** Casefolded nick → the sessions watching it. */
  readonly #watchers: Map<string, Set<Session>> = new Map();
  /** Session → its list: casefolded nick → the nick as it was given. */
  readonly #lists: Map<Session, Map<string, string>> = new Map();
  readonly #serverName: string;

  constructor(serverName: string) {
    this.#serverName = serverName;
  }

  /**
   * The sessions watching `user`'s nick (none: undefined). With `extended-monitor` they hear
   * of its away, account and real-name changes as if they shared a channel with it.
   */
  watchersOf(user: User): ReadonlySet<Session> | undefined {
    return this.#watchers.get(user.folded);
  }

  /** How many sessions watch anything (for tests and metrics). */
  get size(): number {
    return this.#lists.size;
  }

  /**
   * Adds nicks to a session's list, up to `limit` entries in all. Returns the nicks now on
   * the list (new ones and ones already there) and those that did not fit.
   */
  add(
    session: Session,
    nicks: readonly string[],
    limit: number,
  ): { watched: string[]; full: string[] } {
    let list = this.#lists.get(session);
    const watched: string[] = [];
    const full: string[] = [];
    for (const nick of nicks) {
      const folded = casefold(nick);
      if (list?.has(folded)) {
        watched.push(nick);
        continue;
      }
      if ((list?.size ?? 0) >= limit) {
        full.push(nick);
        continue;
      }
      if (list === undefined) this.#lists.set(session, list = new Map());
      list.set(folded, nick);
      let set = this.#watchers.get(folded);
      if (set === undefined) this.#watchers.set(folded, set = new Set());
      set.add(session);
      watched.push(nick);
    }
    return { watched, full };
  }

  /** Takes nicks off a session's list. */
  remove(session: Session, nicks: readonly string[]): void {
    const list = this.#lists.get(session);
    if (list === undefined) return;
    for (const nick of nicks) {
      const folded = casefold(nick);
      if (!list.delete(folded)) continue;
      this.#unwatch(folded, session);
    }
    if (list.size === 0) this.#lists.delete(session);
  }

  /** Empties a session's list (MONITOR C, and when the session ends). */
  clear(session: Session): void {
    const list = this.#lists.get(session);
    if (list === undefined) return;
    for (const folded of list.keys()) this.#unwatch(folded, session);
    this.#lists.delete(session);
  }

  /** The nicks on a session's list, as they were given, in the order they were added. */
  list(session: Session): string[] {
    return [...(this.#lists.get(session)?.values() ?? [])];
  }

  #unwatch(folded: string, session: Session): void {
    const set = this.#watchers.get(folded);
    if (set === undefined) return;
    set.delete(session);
    if (set.size === 0) this.#watchers.delete(folded);
  }

  /** A nick became usable: its watchers get RPL_MONONLINE with the user's mask. */
  online(user: User): void {
    const set = this.#watchers.get(user.folded);
    if (set === undefined) return;
    // "*" for the receiver's nick (as the spec allows): one encoding for every watcher
    const out = new Outgoing(this.#serverName, RPL_MONONLINE, ["*", user.hostmask]);
    for (const s of set) if (s.user !== user) s.send(out);
  }

  /** A nick was given up (renamed away from, or its holder left): RPL_MONOFFLINE. */
  offline(nick: string, except?: User): void {
    const set = this.#watchers.get(casefold(nick));
    if (set === undefined) return;
    const out = new Outgoing(this.#serverName, RPL_MONOFFLINE, ["*", nick]);
    for (const s of set) if (s.user !== except) s.send(out);
  }
}

/**
 * Joins items with commas into as few lines as fit `room` characters each (a target list of
 * RPL_MONONLINE and friends must keep each line within 512 bytes).
 *
 * @example
 * ```ts
 * import { commaLines } from "./monitor.ts";
 * commaLines(["aa", "bb", "cc"], 5); // ["aa,bb", "cc"]
 * ```
 */
export function commaLines(items: readonly string[], room: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const item of items) {
    if (line !== "" && line.length + 1 + item.length > room) {
      lines.push(line);
      line = "";
    }
    line = line === "" ? item : `${line},${item}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}
