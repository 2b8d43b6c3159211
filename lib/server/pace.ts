/**
 * How long the output scheduler waits between the write starts of big fan-outs: by what they
 * cost, measured in the process's CPU time.
 *
 * Why: each start of a 1,000-member fan-out makes a thousand writes (system calls, or
 * asynchronous ops where there is no direct send), and under a fast stream of messages those
 * writes would take all of a core; waiting a little lets the messages that arrive meanwhile
 * go out in the same writes. A fixed wait, though, delays every message even when the server
 * has CPU to spare, and the right wait differs by machine and write path. So the pace is set
 * by the cost: when the last starts cost `c` ms of CPU each (everything the process did
 * between them, on every thread, divided by their number), the next one waits until
 * `c / share` ms after the last began. Where that is sooner than the next message, nothing
 * waits at all; a slower machine, or a busier server, waits longer; never longer than
 * `maxMs`.
 *
 * @module
 */

import process from "node:process";

/** Where the pace reads the time: wall clock and the process's CPU time, both in ms. */
export interface PaceClock {
  /** Monotonic wall time (ms), as `performance.now()`. */
  now(): number;
  /** CPU time the process has used (ms, user + system, all threads); undefined if unknown. */
  cpu(): number | undefined;
}

/** CPU time the process has used (ms), from Node's `process.cpuUsage()`; undefined where it fails. */
function processCpuMs(): number | undefined {
  try {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  } catch {
    return undefined;
  }
}

/** The process's own clocks: `performance.now()` and `process.cpuUsage()`. */
export const processClock: PaceClock = { now: () => performance.now(), cpu: processCpuMs };

/**
 * Measures the CPU cost of big fan-out starts over windows of at least `windowMs` and says
 * when the next start may run. The windows are long for two reasons: a coarse CPU clock (such
 * as Windows' 15.6 ms tick) averages out, and reading the clock is not free: measured inside
 * the server under fan-out here, `process.cpuUsage()` (`getrusage(2)`) took about 0.8 ms a
 * call, though a fraction of a microsecond in a small script. At one call per 500 ms that
 * is under 0.2 % of the time.
 *
 * @example
 * ```ts
 * import { FanoutPace } from "./pace.ts";
 * import { equal } from "node:assert/strict";
 *
 * let wall = 1000, cpu = 0;
 * const pace = new FanoutPace(20, { now: () => wall, cpu: () => cpu }, 100);
 * equal(pace.started(wall, 0.5), wall); // nothing measured yet: no wait
 * // ten starts 10 ms apart, each costing 4 ms of CPU
 * for (let i = 0; i < 10; i++) {
 *   wall += 10;
 *   cpu += 4;
 *   pace.started(wall, 0.5);
 * }
 * wall += 10;
 * cpu += 4;
 * equal(pace.started(wall, 0.5), wall + 8); // 4 ms each at a share of 0.5
 * ```
 */
export class FanoutPace {
  readonly #maxMs: number;
  readonly #clock: PaceClock;
  readonly #windowMs: number;
  readonly #quietMs: number;
  /** CPU ms per start, smoothed over the last windows (0 = not measured yet). */
  #cost = 0;
  /** The open window: when it began (wall, CPU) and how many starts it has seen. */
  #windowAt = -Infinity;
  #windowCpu = 0;
  #windowStarts = 0;

  /**
   * `maxMs`: the longest wait; `windowMs`: the shortest stretch of time one measurement
   * covers; `quietMs`: after this long with no start, what was measured is forgotten.
   */
  constructor(maxMs: number, clock: PaceClock = processClock, windowMs = 500, quietMs = 2000) {
    this.#maxMs = maxMs;
    this.#clock = clock;
    this.#windowMs = windowMs;
    this.#quietMs = quietMs;
  }

  /** The clock it reads (the scheduler's wall time comes from it too). */
  get clock(): PaceClock {
    return this.#clock;
  }

  /** The CPU cost of one start as last measured (ms; 0 before the first measurement). */
  get costMs(): number {
    return this.#cost;
  }

  /**
   * A big fan-out's writes start at `now` (wall ms): returns when the next may start, for
   * starts that may take `share` (0–1) of the time.
   */
  started(now: number, share: number): number {
    const since = now - this.#windowAt;
    if (since >= this.#windowMs) {
      const cpu = this.#clock.cpu();
      // a window that stayed open through a quiet spell says nothing of the current load
      if (since > this.#quietMs) this.#cost = 0;
      else if (cpu !== undefined && this.#windowStarts > 0) {
        const each = (cpu - this.#windowCpu) / this.#windowStarts;
        this.#cost = this.#cost === 0 ? each : (this.#cost + each) / 2;
      }
      this.#windowAt = now;
      this.#windowCpu = cpu ?? 0;
      this.#windowStarts = 0;
    }
    this.#windowStarts++;
    return now + Math.min(this.#maxMs, this.#cost / share);
  }
}
