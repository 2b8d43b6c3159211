/**
 * The K-line table: server bans on `user@host` masks, in force now and kept in the store.
 * Checked when a connection arrives (by host) and again when it registers (with its user
 * name).
 *
 * @module
 */

import { maskMatches } from "../protocol/masks.ts";
import type { ChatStore, KlineRecord } from "../store/store.ts";

/**
 * Whether a K-line bans every user name at `host` (a mask like `*@host`): then it applies to
 * a connection before it has said who it is.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { bansHost } from "./klines.ts";
 * const kline = { mask: "*@10.0.0.*", reason: "", setBy: "", setAt: 0, expiresAt: undefined };
 * strictEqual(bansHost(kline, "10.0.0.9"), true);
 * strictEqual(bansHost({ ...kline, mask: "~bob@10.0.0.*" }, "10.0.0.9"), false);
 * ```
 */
export function bansHost(kline: KlineRecord, host: string): boolean {
  const at = kline.mask.lastIndexOf("@");
  const userPart = at < 0 ? "*" : kline.mask.slice(0, at);
  return /^\*+$/.test(userPart) && maskMatches(kline.mask.slice(at + 1), host);
}

/**
 * K-lines.
 *
 * @example
 * ```ts ignore
 * klines.add({ mask: "*@10.0.0.9", reason: "spam", setBy: "op", setAt: now, expiresAt: undefined });
 * klines.find("~bob@10.0.0.9"); // that K-line
 * ```
 */
export class KlineTable {
  #list: KlineRecord[];
  readonly #store: ChatStore;

  constructor(store: ChatStore) {
    this.#store = store;
    this.#list = [];
  }

  /** Loads the K-lines from the store (at start, before anything listens). */
  async load(): Promise<void> {
    this.#list = await this.#store.listKlines();
  }

  /** The K-lines in force. */
  get list(): readonly KlineRecord[] {
    return this.#list;
  }

  /** The K-line matching a `user@host`, if any (expired ones are dropped on the way). */
  find(userAtHost: string): KlineRecord | undefined {
    if (this.#list.length === 0) return undefined;
    this.#expire();
    return this.#list.find((k) => maskMatches(k.mask, userAtHost));
  }

  /**
   * The K-line that bans every user name at `host` (`*@host`-like masks), if any: what can be
   * refused before the connection has said who it is.
   */
  findForHost(host: string): KlineRecord | undefined {
    if (this.#list.length === 0) return undefined;
    this.#expire();
    return this.#list.find((k) => bansHost(k, host));
  }

  #expire(): void {
    const now = Math.floor(Date.now() / 1000);
    const expired = this.#list.filter((k) => k.expiresAt !== undefined && k.expiresAt <= now);
    if (expired.length === 0) return;
    for (const k of expired) {
      this.#store.removeKline(k.mask).catch((err) =>
        console.error(`removing K-line ${k.mask} failed: ${(err as Error).message}`)
      );
    }
    this.#list = this.#list.filter((k) => !expired.includes(k));
  }

  /** Adds (or replaces, by mask) a K-line and keeps it. */
  async add(kline: KlineRecord): Promise<void> {
    await this.#store.addKline(kline);
    this.#list = [...this.#list.filter((k) => k.mask !== kline.mask), kline];
  }

  /** Lifts a K-line; false if there was none. */
  async remove(mask: string): Promise<boolean> {
    const removed = await this.#store.removeKline(mask);
    this.#list = this.#list.filter((k) => k.mask !== mask);
    return removed;
  }
}
