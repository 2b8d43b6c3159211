/**
 * Reconnection pacing: how long to wait before the next attempt, and a wait that quitting
 * can cut short.
 *
 * @module
 */

/**
 * The delay before reconnection attempt `attempt` (0-based): exponential from `initialMs`,
 * capped at `maxMs`, then scaled by a jitter factor in [0.5, 1.0) so many clients
 * dropped at once do not come back at the same instant.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./backoff.ts";
 * import assert from "node:assert/strict";
 * assert.equal(backoffDelay(0, 1000, 30000, () => 0.5), 750);
 * assert.equal(backoffDelay(10, 1000, 30000, () => 0), 15000);
 * ```
 */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random() * 0.5));
}

/**
 * A sleep that {@link CancellableSleep.cancel} ends early (quit must not wait out a 30 s
 * backoff).
 *
 * @example
 * ```ts
 * import { CancellableSleep } from "./backoff.ts";
 * const s = new CancellableSleep();
 * const p = s.sleep(60_000);
 * s.cancel();
 * await p; // at once
 * ```
 */
export class CancellableSleep {
  #cancel: (() => void) | undefined;

  /** Resolves after `ms`, or at once when cancelled. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#cancel = undefined;
        resolve();
      }, ms);
      this.#cancel = () => {
        clearTimeout(t);
        this.#cancel = undefined;
        resolve();
      };
    });
  }

  /** Ends the current sleep, if any. */
  cancel(): void {
    this.#cancel?.();
  }
}
