/**
 * Metadata (IRCv3 `draft/metadata-2`): the key → value pairs of users and channels (a
 * display name, an avatar URL, a channel's URL), and the keys each connection subscribed
 * to. This table owns both; the METADATA handler (handlers/metadata.ts) changes them only
 * through its methods. Values of logged-in accounts and registered channels are kept in the
 * store as well (owner `@account` or the channel's casefolded name), so they survive a
 * restart; everyone else's live as long as the user or channel does.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import type { ChatStore } from "../store/store.ts";
import type { Channel } from "./channel.ts";
import type { ServerEvents } from "./events.ts";
import type { Limits } from "./limits.ts";
import type { Session } from "./session.ts";
import type { User } from "./user.ts";

/** The capability; sessions without it never get METADATA lines. */
export const METADATA_CAP = "draft/metadata-2";

/** Whose metadata: a user (shared by all its devices) or a channel. */
export type MetadataTarget = User | Channel;

/** What {@link MetadataTable.set} did. */
export type SetOutcome = "set" | "unchanged" | "deleted" | "not-set" | "limit";

const KEY_PATTERN = /^[a-z0-9_./-]+$/;
const encoder = new TextEncoder();

/**
 * Whether `key` is a valid key name: lower-case letters, digits and `_./-`, at most
 * `maxBytes` long. (The draft's latest revision and ergo use this set; the older text's
 * upper case and `:` are refused, so no two spellings name one key.)
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { isValidMetadataKey } from "./metadata.ts";
 * strictEqual(isValidMetadataKey("display-name", 64), true);
 * strictEqual(isValidMetadataKey("Display-Name", 64), false);
 * strictEqual(isValidMetadataKey("$url", 64), false);
 * ```
 */
export function isValidMetadataKey(key: string, maxBytes: number): boolean {
  return key.length > 0 && key.length <= maxBytes && KEY_PATTERN.test(key);
}

/**
 * Bytes of a value in UTF-8, to compare with `max-value-bytes`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { valueBytes } from "./metadata.ts";
 * strictEqual(valueBytes("é"), 2);
 * ```
 */
export function valueBytes(value: string): number {
  return encoder.encode(value).length;
}

/** The store's name for a target's metadata, or undefined when it is not kept there. */
function storeOwner(target: MetadataTarget): string | undefined {
  if ("members" in target) return target.registration ? target.folded : undefined;
  return target.account === undefined ? undefined : `@${casefold(target.account)}`;
}

/**
 * Metadata of users and channels, and subscriptions of sessions.
 *
 * @example
 * ```ts ignore
 * const table = new MetadataTable(limits, store);
 * table.set(user, "display-name", "Ann Lee"); // "set"
 * table.subscribe(session, ["display-name"]); // { added: ["display-name"] }
 * ```
 */
export class MetadataTable {
  readonly #limits: Limits;
  readonly #store: ChatStore;
  readonly #events: ServerEvents;
  readonly #values = new WeakMap<MetadataTarget, Map<string, string>>();
  readonly #subs = new WeakMap<Session, Set<string>>();

  constructor(limits: Limits, store: ChatStore, events: ServerEvents) {
    this.#limits = limits;
    this.#store = store;
    this.#events = events;
  }

  /** The target's keys and values (live: do not keep it across a change). */
  list(target: MetadataTarget): ReadonlyMap<string, string> {
    return this.#values.get(target) ?? EMPTY;
  }

  /** One value, or undefined when the key is not set. */
  get(target: MetadataTarget, key: string): string | undefined {
    return this.#values.get(target)?.get(key);
  }

  /**
   * Sets a key (or removes it: `value` undefined), within `max-keys`, writes it to the
   * store when the target's metadata is kept there (unless `save` is false: a change another
   * node made and saved) and reports it to the server's events. The store write happens in
   * the background; a failure is logged and the live value stays.
   */
  set(
    target: MetadataTarget,
    key: string,
    value: string | undefined,
    save = true,
  ): SetOutcome {
    let map = this.#values.get(target);
    if (value === undefined) {
      if (!map?.has(key)) return "not-set";
      map.delete(key);
    } else {
      if (map?.get(key) === value) return "unchanged";
      if (!map) this.#values.set(target, map = new Map());
      if (!map.has(key) && map.size >= this.#limits.metadataMaxKeys) return "limit";
      map.set(key, value);
    }
    if (save) this.#persist(target, key, value);
    this.#events.metadataChanged(target, key, value);
    return value === undefined ? "deleted" : "set";
  }

  /** Removes every key of the target; returns what was set. */
  clear(target: MetadataTarget): [string, string][] {
    const map = this.#values.get(target);
    if (!map || map.size === 0) return [];
    const old = [...map];
    map.clear();
    const owner = storeOwner(target);
    if (owner !== undefined) {
      this.#store.clearMetadata(owner).catch((err) => logFailure("clearing", err));
    }
    for (const [key] of old) this.#events.metadataChanged(target, key, undefined);
    return old;
  }

  /**
   * Takes up what the store keeps for the target (an account that logged in, a registered
   * channel made again): keys the target has not set live are loaded, and its live ones are
   * written to the store (what a user set before logging in wins). Returns the loaded pairs.
   */
  async adopt(target: MetadataTarget): Promise<[string, string][]> {
    const owner = storeOwner(target);
    if (owner === undefined) return [];
    const stored = await this.#store.getMetadata(owner);
    let map = this.#values.get(target);
    if (!map) this.#values.set(target, map = new Map());
    const loaded: [string, string][] = [];
    for (const [key, value] of Object.entries(stored)) {
      if (map.has(key) || map.size >= this.#limits.metadataMaxKeys) continue;
      map.set(key, value);
      loaded.push([key, value]);
      this.#events.metadataChanged(target, key, value);
    }
    for (const [key, value] of map) {
      if (stored[key] !== value) this.#persist(target, key, value);
    }
    return loaded;
  }

  /** The keys a session subscribed to. */
  subscriptions(session: Session): ReadonlySet<string> {
    return this.#subs.get(session) ?? EMPTY_SET;
  }

  /** Whether a session gets METADATA lines about `key`. */
  wants(session: Session, key: string): boolean {
    return session.caps.has(METADATA_CAP) && this.#subs.get(session)?.has(key) === true;
  }

  /**
   * Subscribes a session to keys (valid ones: the handler checks), in order, until
   * `max-subs`: `added` are the keys now subscribed (already subscribed ones included),
   * `refused` the first key that did not fit (the ones after it were not looked at).
   */
  subscribe(session: Session, keys: readonly string[]): { added: string[]; refused?: string } {
    let subs = this.#subs.get(session);
    if (!subs) this.#subs.set(session, subs = new Set());
    const added: string[] = [];
    for (const key of keys) {
      if (!subs.has(key) && subs.size >= this.#limits.metadataMaxSubs) {
        return { added, refused: key };
      }
      subs.add(key);
      if (!added.includes(key)) added.push(key);
    }
    return { added };
  }

  /** Unsubscribes a session from keys; returns them (subscribed or not, once each). */
  unsubscribe(session: Session, keys: readonly string[]): string[] {
    const subs = this.#subs.get(session);
    const removed: string[] = [];
    for (const key of keys) {
      subs?.delete(key);
      if (!removed.includes(key)) removed.push(key);
    }
    return removed;
  }

  #persist(target: MetadataTarget, key: string, value: string | undefined): void {
    const owner = storeOwner(target);
    if (owner === undefined) return;
    this.#store.setMetadata(owner, key, value).catch((err) => logFailure("saving", err));
  }
}

const EMPTY: ReadonlyMap<string, string> = new Map();
const EMPTY_SET: ReadonlySet<string> = new Set();

function logFailure(what: string, err: unknown): void {
  console.error(`${what} metadata failed: ${(err as Error).message}`);
}
