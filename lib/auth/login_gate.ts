/**
 * The one way in for every password check (SASL, PASS, NickServ IDENTIFY, OPER) and every
 * password hash (REGISTER, NickServ PASSWORD): the attempt is counted first
 * ({@link LoginThrottle}), then the hash waits its turn in a bounded queue
 * ({@link HashQueue}), and only then is scrypt run. Unknown accounts and names that are not
 * operators are checked against a dummy hash through the same queue, so the answer takes
 * as long as for a real one and says nothing about which names exist.
 *
 * It also counts account registrations per source.
 *
 * @module
 */

import { hashPassword, randomPassword, verifyPassword } from "./password.ts";
import { HashQueue, type HashQueueOptions } from "./hash_queue.ts";
import { LoginThrottle, type LoginThrottleOptions, sourceKey, WindowCounter } from "./throttle.ts";

/** The outcome of a password check. */
export type LoginOutcome =
  | { ok: true }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "throttled"; retryAfter: number }
  | { ok: false; reason: "busy" };

/** Everything a {@link LoginGate} bounds. */
export interface LoginGateOptions extends LoginThrottleOptions {
  /** Bounds of the hashing queue. */
  hashing: HashQueueOptions;
  /** Accounts one source may register per `registrationWindowMs`. */
  registrations: number;
  /** The registration window, in milliseconds. */
  registrationWindowMs: number;
  /** The password check (default scrypt's {@link verifyPassword}); tests replace it. */
  verify?: (password: string, stored: string) => Promise<boolean>;
  /** The password hash (default {@link hashPassword}); tests replace it. */
  hash?: (password: string) => Promise<string>;
}

let dummy: Promise<string> | undefined;

/** A valid hash of a random password, with the same cost as real ones (made once). */
function dummyHash(): Promise<string> {
  return dummy ??= hashPassword(randomPassword());
}

/**
 * The sentence for a refused login, for handlers to put after their own prefix.
 *
 * @example
 * ```ts
 * import { refusalText } from "./login_gate.ts";
 * refusalText({ ok: false, reason: "throttled", retryAfter: 12 });
 * // "too many failed attempts, try again in 12 seconds"
 * ```
 */
export function refusalText(outcome: Exclude<LoginOutcome, { ok: true }>): string {
  switch (outcome.reason) {
    case "throttled":
      return `too many failed attempts, try again in ${outcome.retryAfter} seconds`;
    case "busy":
      return BUSY_TEXT;
    case "invalid":
      return "wrong account or password";
  }
}

/** What a client is told when the hashing queue is full. */
export const BUSY_TEXT = "the server is busy, try again in a moment";

/**
 * Counts, queues and verifies password attempts.
 *
 * @example
 * ```ts
 * import { LoginGate } from "./login_gate.ts";
 * import { hashPassword } from "./password.ts";
 * import { deepEqual } from "node:assert/strict";
 * const gate = new LoginGate({
 *   attempts: 5, sourceAttempts: 20, accountCeiling: 100, windowMs: 60_000,
 *   hashing: { running: 2, waiting: 8, perSource: 4 },
 *   registrations: 5, registrationWindowMs: 600_000,
 * });
 * const stored = await hashPassword("correct horse");
 * deepEqual(await gate.check("account:alice", "192.0.2.1", "correct horse", stored), { ok: true });
 * deepEqual(await gate.check("account:bob", "192.0.2.1", "guess", undefined), { ok: false, reason: "invalid" });
 * ```
 */
export class LoginGate {
  readonly #throttle: LoginThrottle;
  readonly #queue: HashQueue;
  readonly #registrations: WindowCounter;
  readonly #options: LoginGateOptions;
  readonly #verify: (password: string, stored: string) => Promise<boolean>;
  readonly #hash: (password: string) => Promise<string>;

  constructor(options: LoginGateOptions) {
    this.#options = options;
    this.#throttle = new LoginThrottle(options);
    this.#queue = new HashQueue(options.hashing);
    this.#registrations = new WindowCounter(options.registrationWindowMs);
    this.#verify = options.verify ?? verifyPassword;
    this.#hash = options.hash ?? hashPassword;
    if (!options.verify) void dummyHash();
  }

  /** The hashing queue (for metrics and tests). */
  get queue(): HashQueue {
    return this.#queue;
  }

  #exempt(ip: string): boolean {
    return this.#options.exempt?.(ip) ?? false;
  }

  /**
   * Checks `password` for `key` (e.g. `account:alice`, `oper:admin`) from `ip`. `stored` is
   * the account's hash, or undefined when there is none to compare with (unknown account,
   * not an operator): a dummy hash is checked instead, and `accept` (e.g. a comparison with
   * configured operator credentials) decides, else the answer is "invalid".
   */
  async check(
    key: string,
    ip: string,
    password: string,
    stored: string | undefined,
    accept?: () => boolean,
  ): Promise<LoginOutcome> {
    const reservation = this.#throttle.reserve(key, ip);
    if (typeof reservation === "number") {
      return { ok: false, reason: "throttled", retryAfter: Math.ceil(reservation / 1000) };
    }
    const verify = this.#verify;
    const verifying = this.#queue.submit(
      sourceKey(ip),
      async () => await verify(password, stored ?? await dummyHash()),
      !this.#exempt(ip),
    );
    if (!verifying) {
      reservation.cancel();
      return { ok: false, reason: "busy" };
    }
    let ok: boolean;
    try {
      const matched = await verifying;
      ok = stored !== undefined ? matched : accept?.() ?? false;
    } catch (err) {
      reservation.cancel();
      throw err;
    }
    if (!ok) return { ok: false, reason: "invalid" };
    reservation.succeeded();
    return { ok: true };
  }

  /** Hashes a new password through the queue; undefined at once when the server is busy. */
  hash(ip: string, password: string): Promise<string> | undefined {
    return this.#queue.submit(sourceKey(ip), () => this.#hash(password), !this.#exempt(ip));
  }

  /**
   * Admits an account registration from `ip`: counts it against the source's allowance,
   * then hashes the password through the queue. Refused (with the sentence to show) when
   * the source has registered its allowance or the server is busy. Cancel the admission if
   * no account was made after all.
   */
  admitRegistration(
    ip: string,
    password: string,
    now = Date.now(),
  ): { hashing: Promise<string>; cancel: () => void } | { refused: string } {
    const counted = !this.#exempt(ip);
    const source = sourceKey(ip);
    if (counted) {
      const wait = this.#registrations.waitBelow(source, this.#options.registrations, now);
      if (wait > 0) {
        return {
          refused: `too many accounts registered from your address, try again in ${
            Math.ceil(wait / 1000)
          } seconds`,
        };
      }
    }
    const hashing = this.hash(ip, password);
    if (!hashing) return { refused: BUSY_TEXT };
    if (counted) this.#registrations.add(source, now);
    let cancelled = false;
    return {
      hashing,
      cancel: () => {
        if (counted && !cancelled) this.#registrations.remove(source, now);
        cancelled = true;
      },
    };
  }

  /** Drops expired counts so memory stays bounded (call now and then). */
  sweep(now = Date.now()): void {
    this.#throttle.sweep(now);
    this.#registrations.sweep(now);
  }
}
