/**
 * Flood control ("fakelag", as ircu and ergo call it): a token bucket per session, from the
 * first line it sends (registered or not). Each line takes a token; tokens come back at
 * `floodRate` per second up to `floodBurst`. A session without a token is not refused: its
 * input waits until one is due, which holds back its socket, so a flooder slows only itself.
 *
 * @module
 */

import type { Limits } from "./limits.ts";

/** The bucket's state (kept on the session). */
export interface FloodBucket {
  /** Lines available now. */
  floodTokens: number;
  /** When the tokens were last counted (ms). */
  floodStamp: number;
}

/**
 * Fills a bucket to its burst (a new connection, a completed registration).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { fillBucket } from "./fakelag.ts";
 * const b = { floodTokens: 0, floodStamp: 0 };
 * fillBucket(b, { floodBurst: 20 }, 1000);
 * strictEqual(b.floodTokens, 20);
 * ```
 */
export function fillBucket(
  bucket: FloodBucket,
  limits: Pick<Limits, "floodBurst">,
  now: number,
): void {
  bucket.floodTokens = limits.floodBurst;
  bucket.floodStamp = now;
}

/**
 * Takes a token for one line: 0 when it may be handled now, else the milliseconds to hold
 * it (the token is then taken as the wait ends, see {@link afterWait}). Off with
 * `floodBurst` 0.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { floodDelay } from "./fakelag.ts";
 * const limits = { floodBurst: 1, floodRate: 2 };
 * const b = { floodTokens: 1, floodStamp: 0 };
 * strictEqual(floodDelay(b, limits, 0), 0); // the burst
 * strictEqual(floodDelay(b, limits, 0), 500); // then a token every 500 ms
 * ```
 */
export function floodDelay(
  bucket: FloodBucket,
  limits: Pick<Limits, "floodBurst" | "floodRate">,
  now: number,
): number {
  if (limits.floodBurst <= 0) return 0;
  bucket.floodTokens = Math.min(
    limits.floodBurst,
    bucket.floodTokens + ((now - bucket.floodStamp) / 1000) * limits.floodRate,
  );
  bucket.floodStamp = now;
  if (bucket.floodTokens >= 1) {
    bucket.floodTokens -= 1;
    return 0;
  }
  return ((1 - bucket.floodTokens) / limits.floodRate) * 1000;
}

/** After waiting out a delay: the token that came due is used up by the held line. */
export function afterWait(bucket: FloodBucket, now: number): void {
  bucket.floodTokens = 0;
  bucket.floodStamp = now;
}

/**
 * Charges a bucket for work it did without taking tokens line by line (a multiline batch):
 * the bucket may go below zero, and the session's next lines wait until it is paid off.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { charge, floodDelay } from "./fakelag.ts";
 * const limits = { floodBurst: 2, floodRate: 1 };
 * const b = { floodTokens: 2, floodStamp: 0 };
 * charge(b, limits, 4, 0);
 * strictEqual(floodDelay(b, limits, 0), 3000); // 2 tokens owed, then the line's own
 * ```
 */
export function charge(
  bucket: FloodBucket,
  limits: Pick<Limits, "floodBurst" | "floodRate">,
  tokens: number,
  now: number,
): void {
  if (limits.floodBurst <= 0) return;
  bucket.floodTokens = Math.min(
    limits.floodBurst,
    bucket.floodTokens + ((now - bucket.floodStamp) / 1000) * limits.floodRate,
  ) - tokens;
  bucket.floodStamp = now;
}
