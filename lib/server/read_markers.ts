/**
 * Read markers (IRCv3 `draft/read-marker`): where a user stopped reading each conversation.
 * A logged-in user's markers are the account's, kept in the store and shared by every
 * connection logged in to it; a guest's live in memory and end with the guest, as its private
 * history does (lib/server/history_keys.ts). A conversation with a guest is keyed by the
 * guest's connection-only identity, so it is kept in memory too: it cannot be asked for once
 * that guest is gone.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import type { ChatStore } from "../store/store.ts";
import type { User } from "./user.ts";

/** A marker update: the time stored now (ms), and whether the update moved it. */
export interface MarkerUpdate {
  time: number;
  moved: boolean;
}

/**
 * Read markers by user and conversation key (a casefolded channel name, or the other side's
 * history identity: `@account`, or a guest's `$…`).
 *
 * @example
 * ```ts ignore
 * await markers.set(user, "#lobby", Date.parse("2024-01-01T00:00:00.000Z"));
 * await markers.get(user, "#lobby"); // 1704067200000
 * ```
 */
export class ReadMarkers {
  readonly #store: ChatStore;
  readonly #perUser: () => number;
  /** In-memory markers of guests, and of anyone's conversations with guests. */
  readonly #memory: WeakMap<User, Map<string, number>> = new WeakMap();

  /** `perUser` gives the current bound of in-memory markers per user (a limit). */
  constructor(store: ChatStore, perUser: () => number) {
    this.#store = store;
    this.#perUser = perUser;
  }

  /** Whether a marker lives in the store (an account's, on a channel or another account). */
  #stored(user: User, key: string): boolean {
    return user.account !== undefined && !key.startsWith("$");
  }

  /** The user's marker for a conversation, or undefined when none was set. */
  get(user: User, key: string): Promise<number | undefined> {
    if (this.#stored(user, key)) {
      return this.#store.getReadMarker(casefold(user.account!), key);
    }
    return Promise.resolve(this.#memory.get(user)?.get(key));
  }

  /** Moves the user's marker forward to `time` (never back); resolves to the result. */
  async set(user: User, key: string, time: number): Promise<MarkerUpdate> {
    if (this.#stored(user, key)) {
      const account = casefold(user.account!);
      const before = await this.#store.getReadMarker(account, key);
      if (before !== undefined && before >= time) return { time: before, moved: false };
      const stored = await this.#store.setReadMarker(account, key, time);
      return { time: stored, moved: stored === time };
    }
    let map = this.#memory.get(user);
    if (map === undefined) this.#memory.set(user, map = new Map());
    const old = map.get(key);
    if (old !== undefined && old >= time) return { time: old, moved: false };
    map.delete(key);
    map.set(key, time);
    // bounded: the marker set longest ago goes first
    if (map.size > this.#perUser()) map.delete(map.keys().next().value!);
    return { time, moved: true };
  }
}
