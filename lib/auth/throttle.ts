/**
 * Throttling of password guesses. An attempt is counted when it is *reserved*, before the
 * password is hashed, so parallel guesses cannot all slip past a check made before the
 * (slow) hash; a success gives its reservation back.
 *
 * Three counters, so that nobody can lock an owner out of an account:
 * - per (account, source): the small allowance (`attempts`), the usual "5 wrong passwords";
 * - per source, over all accounts (`sourceAttempts`), against one address trying many names;
 * - per account, over all sources (`accountCeiling`, much higher), against a distributed
 *   guess. Past that ceiling only sources that have not failed on the account may still try,
 *   so the owner logging in from a clean address is never refused.
 *
 * A source is an IPv4 address or an IPv6 /64 (one host usually owns a whole /64).
 *
 * @module
 */

/**
 * Timestamps per key in a sliding window, with single stamps removable (a reservation
 * given back).
 *
 * @example
 * ```ts
 * import { WindowCounter } from "./throttle.ts";
 * import { equal } from "node:assert/strict";
 * const c = new WindowCounter(60_000);
 * c.add("k", 1000);
 * c.add("k", 2000);
 * equal(c.count("k", 3000), 2);
 * c.remove("k", 1000);
 * equal(c.count("k", 3000), 1);
 * equal(c.count("k", 70_000), 0);
 * ```
 */
export class WindowCounter {
  readonly #windowMs: number;
  #stamps = new Map<string, number[]>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  #recent(key: string, now: number): number[] {
    const list = this.#stamps.get(key);
    if (!list) return [];
    let drop = 0;
    while (drop < list.length && now - list[drop] >= this.#windowMs) drop++;
    if (drop > 0) list.splice(0, drop);
    if (list.length === 0) this.#stamps.delete(key);
    return list;
  }

  /** Stamps of `key` within the window. */
  count(key: string, now = Date.now()): number {
    return this.#recent(key, now).length;
  }

  /**
   * Milliseconds until `key` has fewer than `limit` stamps in the window (0 = already). A
   * limit of 0 is no limit (as `--limit loginAttempts=0` always meant).
   */
  waitBelow(key: string, limit: number, now = Date.now()): number {
    if (limit <= 0) return 0;
    const list = this.#recent(key, now);
    if (list.length < limit) return 0;
    return Math.max(1, list[list.length - limit] + this.#windowMs - now);
  }

  /** Adds a stamp; keeps at most `keep` (the newest) so a key's memory stays bounded. */
  add(key: string, now = Date.now(), keep = Infinity): void {
    const list = this.#recent(key, now);
    list.push(now);
    if (list.length > keep) list.splice(0, list.length - keep);
    this.#stamps.set(key, list);
  }

  /** Removes one stamp added at `stamp` (a reservation given back). */
  remove(key: string, stamp: number): void {
    const list = this.#stamps.get(key);
    if (!list) return;
    const i = list.lastIndexOf(stamp);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.#stamps.delete(key);
  }

  /** Forgets a key. */
  clear(key: string): void {
    this.#stamps.delete(key);
  }

  /** Keys held (for tests and metrics). */
  get size(): number {
    return this.#stamps.size;
  }

  /** Drops expired stamps and empty keys so the map stays bounded. */
  sweep(now = Date.now()): void {
    for (const key of [...this.#stamps.keys()]) this.#recent(key, now);
  }
}

/**
 * The key an address is counted under: an IPv4 address as it is, an IPv4-mapped IPv6
 * address as its IPv4 form, other IPv6 addresses by their /64.
 *
 * @example
 * ```ts
 * import { sourceKey } from "./throttle.ts";
 * import { equal } from "node:assert/strict";
 * equal(sourceKey("192.0.2.7"), "192.0.2.7");
 * equal(sourceKey("::ffff:192.0.2.7"), "192.0.2.7");
 * equal(sourceKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
 * equal(sourceKey("2001:db8::1"), "2001:db8:0:0::/64");
 * ```
 */
export function sourceKey(ip: string): string {
  const bare = ip.startsWith("[") ? ip.slice(1, ip.indexOf("]")) : ip.split("%")[0];
  if (!bare.includes(":")) return bare;
  const lower = bare.toLowerCase();
  const mapped = lower.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) return mapped[1];
  const [head, tail] = lower.split("::");
  const headParts = head === "" ? [] : head.split(":");
  const tailParts = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? headParts : [
    ...headParts,
    ...Array(Math.max(0, 8 - headParts.length - tailParts.length)).fill("0"),
    ...tailParts,
  ];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/** The allowances of a {@link LoginThrottle}; all counted over `windowMs`. */
export interface LoginThrottleOptions {
  /** Failures per (account, source) before that pair must wait. */
  attempts: number;
  /** Failures per source over all accounts before that source must wait. */
  sourceAttempts: number;
  /** Failures per account over all sources before sources that failed on it must wait. */
  accountCeiling: number;
  /** The window, in milliseconds. */
  windowMs: number;
  /** Sources exempt from the per-source count (e.g. loopback); default none. */
  exempt?: (ip: string) => boolean;
}

/** A counted attempt: give it back on success (or when it was never verified). */
export interface Reservation {
  /** The password was right: the attempt no longer counts, and the pair's failures are forgotten. */
  succeeded(): void;
  /** The password was never checked (server busy): the attempt no longer counts. */
  cancel(): void;
}

/**
 * Counts login attempts per (account, source), per source and per account, reserving each
 * attempt before it is verified.
 *
 * @example
 * ```ts
 * import { LoginThrottle } from "./throttle.ts";
 * import { equal, ok } from "node:assert/strict";
 * const t = new LoginThrottle({ attempts: 2, sourceAttempts: 10, accountCeiling: 100, windowMs: 60_000 });
 * ok(typeof t.reserve("alice", "192.0.2.1") === "object");
 * ok(typeof t.reserve("alice", "192.0.2.1") === "object");
 * ok(typeof t.reserve("alice", "192.0.2.1") === "number"); // the third guess waits
 * ok(typeof t.reserve("alice", "192.0.2.2") === "object"); // the owner elsewhere does not
 * equal(t.size > 0, true);
 * ```
 */
export class LoginThrottle {
  readonly #options: LoginThrottleOptions;
  readonly #pairs: WindowCounter;
  readonly #sources: WindowCounter;
  readonly #accounts: WindowCounter;

  constructor(options: LoginThrottleOptions) {
    this.#options = options;
    this.#pairs = new WindowCounter(options.windowMs);
    this.#sources = new WindowCounter(options.windowMs);
    this.#accounts = new WindowCounter(options.windowMs);
  }

  /**
   * Counts an attempt on `account` (any key: an account or operator name) from `ip`, or
   * returns the milliseconds to wait when one of the allowances is used up.
   */
  reserve(account: string, ip: string, now = Date.now()): Reservation | number {
    const o = this.#options;
    const source = sourceKey(ip);
    const pair = `${account}\n${source}`;
    const countSource = !(o.exempt?.(ip) ?? false);
    let wait = this.#pairs.waitBelow(pair, o.attempts, now);
    if (countSource) wait = Math.max(wait, this.#sources.waitBelow(source, o.sourceAttempts, now));
    const accountWait = this.#accounts.waitBelow(account, o.accountCeiling, now);
    if (accountWait > 0) {
      // under a distributed guess, a source that already failed on the account waits
      // until its own failures have aged out (or the guessing stops)
      wait = Math.max(wait, Math.min(accountWait, this.#pairs.waitBelow(pair, 1, now)));
    }
    if (wait > 0) return wait;
    this.#pairs.add(pair, now);
    if (countSource) this.#sources.add(source, now);
    this.#accounts.add(account, now, o.accountCeiling);
    let settled = false;
    const giveBack = () => {
      if (settled) return false;
      settled = true;
      if (countSource) this.#sources.remove(source, now);
      this.#accounts.remove(account, now);
      return true;
    };
    return {
      succeeded: () => {
        if (giveBack()) this.#pairs.clear(pair);
      },
      cancel: () => {
        if (giveBack()) this.#pairs.remove(pair, now);
      },
    };
  }

  /** Keys held over all counters (for tests: memory stays bounded). */
  get size(): number {
    return this.#pairs.size + this.#sources.size + this.#accounts.size;
  }

  /** Drops expired entries. */
  sweep(now = Date.now()): void {
    this.#pairs.sweep(now);
    this.#sources.sweep(now);
    this.#accounts.sweep(now);
  }
}
