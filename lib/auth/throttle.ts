/**
 * Throttling of failed logins, per account and per IP address: after `attempts` failures
 * within `windowMs`, further attempts are refused until the window has passed.
 *
 * @module
 */

/**
 * Counts failures per key in a sliding window.
 *
 * @example
 * ```ts
 * import { LoginThrottle } from "./throttle.ts";
 * const t = new LoginThrottle(3, 60_000);
 * t.fail("acct:alice"); t.fail("acct:alice"); t.fail("acct:alice");
 * t.blockedFor("acct:alice") > 0; // true
 * ```
 */
export class LoginThrottle {
  readonly #attempts: number;
  readonly #windowMs: number;
  #failures = new Map<string, number[]>();

  constructor(attempts: number, windowMs: number) {
    this.#attempts = attempts;
    this.#windowMs = windowMs;
  }

  #recent(key: string, now: number): number[] {
    const list = (this.#failures.get(key) ?? []).filter((t) => now - t < this.#windowMs);
    if (list.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, list);
    return list;
  }

  /** Milliseconds until the key may try again (0 = now). */
  blockedFor(key: string, now = Date.now()): number {
    const list = this.#recent(key, now);
    if (list.length < this.#attempts) return 0;
    return list[list.length - this.#attempts] + this.#windowMs - now;
  }

  /** Records a failure. */
  fail(key: string, now = Date.now()): void {
    const list = this.#recent(key, now);
    list.push(now);
    this.#failures.set(key, list);
  }

  /** Forgets a key's failures (after a success). */
  clear(key: string): void {
    this.#failures.delete(key);
  }

  /** Drops expired entries so the map stays bounded. */
  sweep(now = Date.now()): void {
    for (const key of [...this.#failures.keys()]) this.#recent(key, now);
  }
}
