/**
 * An in-memory {@link ChatStore}: nothing survives a restart. Used with `--store memory`
 * (persistence off) and as the reference the SQLite store is tested against.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import {
  type AccountRecord,
  type AlwaysOnEntry,
  type AlwaysOnState,
  type ChannelRecord,
  type ChatStore,
  type HistoryBound,
  type HistoryFloor,
  type HistoryMessage,
  type HistoryTarget,
  type KlineRecord,
  SEARCH_SCAN,
  type SearchQuery,
  searchVisible,
  searchWords,
  type TargetScope,
  type UploadRecord,
} from "./store.ts";
import { dmParties } from "./store.ts";

/** History floors kept at most; the oldest goes first (its name then starts afresh). */
const MAX_FLOORS = 10_000;

interface Stored {
  seq: number;
  msg: HistoryMessage;
}

/**
 * The memory store. History per conversation is capped so memory stays bounded.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "./memory.ts";
 * const store = new MemoryStore();
 * await store.countAccounts(); // 0
 * ```
 */
export class MemoryStore implements ChatStore {
  readonly kind = "memory" as const;
  #accounts = new Map<string, AccountRecord>();
  #alwaysOn = new Map<string, AlwaysOnState>();
  #channels = new Map<string, ChannelRecord>();
  #klines = new Map<string, KlineRecord>();
  #history = new Map<string, Stored[]>();
  /** The private conversations each party is a side of, so TARGETS never walks them all. */
  #byParty = new Map<string, Set<string>>();
  #byMsgid = new Map<string, Stored>();
  /** "account target" → time (ms). */
  #readMarkers = new Map<string, number>();
  #metadata = new Map<string, Map<string, string>>();
  #floors = new Map<string, number>();
  #seq = 0;
  #uploads = new Map<string, UploadRecord>();
  readonly #maxPerTarget: number;

  /** Always: the store is this process's own memory. */
  available(): boolean {
    return true;
  }

  constructor(maxPerTarget = 1000) {
    this.#maxPerTarget = maxPerTarget;
  }

  getAccount(folded: string): Promise<AccountRecord | undefined> {
    return Promise.try(() => {
      const a = this.#accounts.get(folded);
      return a ? { ...a } : undefined;
    });
  }

  createAccount(account: AccountRecord): Promise<boolean> {
    return Promise.try(() => {
      if (this.#accounts.has(account.folded)) return false;
      this.#accounts.set(account.folded, { ...account });
      return true;
    });
  }

  setAccountPassword(folded: string, passwordHash: string): Promise<void> {
    return Promise.try(() => {
      const a = this.#accounts.get(folded);
      if (a) a.passwordHash = passwordHash;
    });
  }

  setAccountOper(folded: string, oper: boolean): Promise<void> {
    return Promise.try(() => {
      const a = this.#accounts.get(folded);
      if (a) a.oper = oper;
    });
  }

  countAccounts(): Promise<number> {
    return Promise.try(() => this.#accounts.size);
  }

  getAlwaysOn(folded: string): Promise<AlwaysOnState | undefined> {
    return Promise.try(() => {
      const state = this.#alwaysOn.get(folded);
      return state ? structuredClone(state) : undefined;
    });
  }

  setAlwaysOn(folded: string, state: AlwaysOnState | undefined): Promise<void> {
    return Promise.try(() => {
      if (state === undefined) this.#alwaysOn.delete(folded);
      else if (this.#accounts.has(folded)) this.#alwaysOn.set(folded, structuredClone(state));
    });
  }

  listAlwaysOn(): Promise<AlwaysOnEntry[]> {
    return Promise.try(() =>
      [...this.#alwaysOn].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map((
        [folded, state],
      ) => ({ folded, name: this.#accounts.get(folded)!.name, state: structuredClone(state) }))
    );
  }

  getChannel(folded: string): Promise<ChannelRecord | undefined> {
    return Promise.try(() => {
      const c = this.#channels.get(folded);
      return c ? JSON.parse(JSON.stringify(c)) : undefined;
    });
  }

  saveChannel(channel: ChannelRecord): Promise<void> {
    return Promise.try(() => {
      this.#channels.set(channel.folded, JSON.parse(JSON.stringify(channel)));
    });
  }

  deleteChannel(folded: string): Promise<void> {
    return Promise.try(() => {
      this.#channels.delete(folded);
    });
  }

  listKlines(): Promise<KlineRecord[]> {
    return Promise.try(() => [...this.#klines.values()].map((k) => ({ ...k })));
  }

  addKline(kline: KlineRecord): Promise<void> {
    return Promise.try(() => {
      this.#klines.set(kline.mask, { ...kline });
    });
  }

  removeKline(mask: string): Promise<boolean> {
    return Promise.try(() => this.#klines.delete(mask));
  }

  appendMessage(message: HistoryMessage): Promise<void> {
    // idempotent by msgid, as the databases are: a retried append stores nothing twice
    if (this.#byMsgid.has(message.msgid)) return Promise.resolve();
    const list = this.#history.get(message.target) ?? [];
    if (list.length === 0) {
      this.#history.set(message.target, list);
      for (const party of dmParties(message.target) ?? []) {
        let set = this.#byParty.get(party);
        if (!set) this.#byParty.set(party, set = new Set());
        set.add(message.target);
      }
    }
    const stored = { seq: ++this.#seq, msg: message };
    list.push(stored);
    this.#byMsgid.set(message.msgid, stored);
    if (list.length > this.#maxPerTarget) {
      for (const old of list.splice(0, list.length - this.#maxPerTarget)) {
        this.#byMsgid.delete(old.msg.msgid);
      }
    }
    return Promise.resolve();
  }

  /** Whether a stored message comes after a bound (or at it, if `inclusive`). */
  #isAfter(s: Stored, bound: HistoryBound, inclusive = false): boolean {
    const ref = bound.msgid ? this.#byMsgid.get(bound.msgid) : undefined;
    if (ref) return inclusive ? s.seq >= ref.seq : s.seq > ref.seq;
    return inclusive ? s.msg.time >= bound.time : s.msg.time > bound.time;
  }

  #isBefore(s: Stored, bound: HistoryBound): boolean {
    const ref = bound.msgid ? this.#byMsgid.get(bound.msgid) : undefined;
    return ref ? s.seq < ref.seq : s.msg.time < bound.time;
  }

  latest(target: string, limit: number, after?: HistoryBound): Promise<HistoryMessage[]> {
    return Promise.try(() => {
      let list = this.#history.get(target) ?? [];
      if (after) list = list.filter((s) => this.#isAfter(s, after));
      return list.slice(-limit).map((s) => s.msg);
    });
  }

  before(target: string, bound: HistoryBound, limit: number): Promise<HistoryMessage[]> {
    return Promise.try(() => {
      const list = (this.#history.get(target) ?? []).filter((s) => this.#isBefore(s, bound));
      return list.slice(-limit).map((s) => s.msg);
    });
  }

  after(
    target: string,
    bound: HistoryBound,
    limit: number,
    inclusive = false,
  ): Promise<HistoryMessage[]> {
    return Promise.try(() => {
      const list = (this.#history.get(target) ?? []).filter((s) =>
        this.#isAfter(s, bound, inclusive)
      );
      return list.slice(0, limit).map((s) => s.msg);
    });
  }

  between(
    target: string,
    low: HistoryBound,
    high: HistoryBound,
    limit: number,
    fromHigh: boolean,
  ): Promise<HistoryMessage[]> {
    return Promise.try(() => {
      const list = (this.#history.get(target) ?? []).filter((s) =>
        this.#isAfter(s, low) && this.#isBefore(s, high)
      );
      return (fromHigh ? list.slice(-limit) : list.slice(0, limit)).map((s) => s.msg);
    });
  }

  targets(
    from: number,
    to: number,
    limit: number,
    scope: TargetScope,
  ): Promise<HistoryTarget[]> {
    return Promise.try(() => {
      const [lo, hi] = from <= to ? [from, to] : [to, from];
      const out: HistoryTarget[] = [];
      const keys = new Set([...scope.keys, ...this.#byParty.get(scope.party) ?? []]);
      for (const target of keys) {
        const list = this.#history.get(target);
        if (!list) continue;
        const inRange = list.filter((s) => s.msg.time >= lo && s.msg.time <= hi);
        if (inRange.length === 0) continue;
        const last = inRange[inRange.length - 1].msg;
        out.push({ target, rawTarget: last.rawTarget, latest: last.time });
      }
      return out.sort((a, b) => b.latest - a.latest).slice(0, limit);
    });
  }

  findMessage(msgid: string): Promise<HistoryBound | undefined> {
    return Promise.try(() => {
      const s = this.#byMsgid.get(msgid);
      return s ? { time: s.msg.time, msgid } : undefined;
    });
  }

  search(q: SearchQuery): Promise<HistoryMessage[]> {
    return Promise.try(() => {
      const words = q.text === undefined ? [] : searchWords(q.text);
      if (q.text !== undefined && words.length === 0) return [];
      const lists: Stored[][] = [];
      for (const key of q.keys.keys()) {
        const list = this.#history.get(key);
        if (list) lists.push(list);
      }
      if (q.party !== undefined) {
        for (const [key, list] of this.#history) {
          if (!q.keys.has(key) && dmParties(key)?.includes(q.party)) lists.push(list);
        }
      }
      // a plain scan, newest first, of at most SEARCH_SCAN candidates of the conversations
      const found: Stored[] = [];
      let looked = 0;
      for (const list of lists) {
        for (let i = list.length - 1; i >= 0 && looked < SEARCH_SCAN; i--) {
          const s = list[i], m = s.msg;
          looked++;
          if (!searchVisible(q, m.target, m.time)) continue;
          if (q.from !== undefined && casefold(m.source.split("!")[0]) !== q.from) continue;
          if (words.length > 0) {
            const have = new Set(searchWords(m.text));
            if (!words.every((w) => have.has(w))) continue;
          }
          found.push(s);
        }
      }
      found.sort((a, b) => b.seq - a.seq);
      return found.slice(0, q.limit).reverse().map((s) => s.msg);
    });
  }

  addUpload(upload: UploadRecord): Promise<void> {
    return Promise.try(() => {
      if (this.#uploads.has(upload.id)) throw new Error(`upload ${upload.id} exists`);
      this.#uploads.set(upload.id, { ...upload });
    });
  }

  getUpload(id: string): Promise<UploadRecord | undefined> {
    return Promise.try(() => {
      const u = this.#uploads.get(id);
      return u ? { ...u } : undefined;
    });
  }

  uploadBytes(account: string): Promise<number> {
    return Promise.try(() => {
      let n = 0;
      for (const u of this.#uploads.values()) if (u.account === account) n += u.size;
      return n;
    });
  }

  getMessage(msgid: string): Promise<HistoryMessage | undefined> {
    return Promise.try(() => {
      const s = this.#byMsgid.get(msgid);
      return s ? { ...s.msg } : undefined;
    });
  }

  deleteMessage(msgid: string): Promise<boolean> {
    return Promise.try(() => {
      const s = this.#byMsgid.get(msgid);
      if (!s) return false;
      this.#byMsgid.delete(msgid);
      const target = s.msg.target;
      const list = this.#history.get(target)!;
      list.splice(list.indexOf(s), 1);
      if (list.length === 0) {
        this.#history.delete(target);
        for (const party of dmParties(target) ?? []) this.#byParty.get(party)?.delete(target);
      }
      return true;
    });
  }

  getReadMarker(account: string, target: string): Promise<number | undefined> {
    return Promise.try(() => this.#readMarkers.get(`${account} ${target}`));
  }

  setReadMarker(account: string, target: string, time: number): Promise<number> {
    return Promise.try(() => {
      const key = `${account} ${target}`;
      const now = Math.max(this.#readMarkers.get(key) ?? -Infinity, time);
      this.#readMarkers.set(key, now);
      return now;
    });
  }

  getMetadata(owner: string): Promise<Record<string, string>> {
    return Promise.try(() => {
      const keys = [...(this.#metadata.get(owner) ?? [])].sort(([a], [b]) => a < b ? -1 : 1);
      return Object.fromEntries(keys);
    });
  }

  setMetadata(owner: string, key: string, value: string | undefined): Promise<void> {
    return Promise.try(() => {
      let map = this.#metadata.get(owner);
      if (value === undefined) {
        map?.delete(key);
        if (map?.size === 0) this.#metadata.delete(owner);
        return;
      }
      if (!map) this.#metadata.set(owner, map = new Map());
      map.set(key, value);
    });
  }

  clearMetadata(owner: string): Promise<void> {
    return Promise.try(() => {
      this.#metadata.delete(owner);
    });
  }

  prune(maxAgeMs: number, maxPerTarget: number): Promise<void> {
    return Promise.try(() => {
      const oldest = Date.now() - maxAgeMs;
      for (const [target, list] of this.#history) {
        let drop = 0;
        while (drop < list.length && list[drop].msg.time < oldest) drop++;
        drop = Math.max(drop, list.length - maxPerTarget);
        for (const old of list.splice(0, drop)) this.#byMsgid.delete(old.msg.msgid);
        if (list.length === 0) {
          this.#history.delete(target);
          for (const party of dmParties(target) ?? []) this.#byParty.get(party)?.delete(target);
        }
      }
      for (const folded of this.#floors.keys()) {
        if (!this.#history.has(folded)) this.#floors.delete(folded);
      }
    });
  }

  getHistoryFloor(folded: string): Promise<number | undefined> {
    return Promise.try(() => this.#floors.get(folded));
  }

  setHistoryFloors(floors: readonly HistoryFloor[]): Promise<void> {
    return Promise.try(() => {
      for (const [folded, time] of floors) {
        this.#floors.delete(folded); // a newly set one counts as the newest
        if (time !== undefined) this.#floors.set(folded, time);
      }
      while (this.#floors.size > MAX_FLOORS) this.#floors.delete(this.#floors.keys().next().value!);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
