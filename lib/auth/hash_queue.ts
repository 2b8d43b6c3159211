/**
 * A bounded queue for password hashing. scrypt costs ~16 MiB and tens of milliseconds of a
 * core per hash, and Deno runs each one on its blocking thread pool (up to hundreds of
 * threads): unbounded, a few hundred guesses at once take every core and gigabytes of memory
 * and make a real login wait for seconds. Here at most `running` hashes run at a time, at
 * most `waiting` wait, at most `perSource` of either belong to one source, and the waiting
 * ones are served round-robin by source, so one address flooding the queue delays another
 * address's login by at most one hash per other busy source. Beyond that a job is refused
 * at once (the caller answers "server busy, try again").
 *
 * @module
 */

/** The bounds of a {@link HashQueue}. */
export interface HashQueueOptions {
  /** Jobs running at once (at least 1). */
  running: number;
  /** Jobs waiting for a slot before new ones are refused. */
  waiting: number;
  /** Jobs (running or waiting) of one source before its new ones are refused (0 = no cap). */
  perSource: number;
}

/**
 * Runs async jobs with bounded concurrency, a bounded wait list, a cap per source, and
 * round-robin between sources.
 *
 * @example
 * ```ts
 * import { HashQueue } from "./hash_queue.ts";
 * import { equal } from "node:assert/strict";
 * const q = new HashQueue({ running: 1, waiting: 1, perSource: 0 });
 * const a = q.submit("192.0.2.1", () => Promise.resolve(1));
 * const b = q.submit("192.0.2.1", () => Promise.resolve(2));
 * equal(q.submit("192.0.2.1", () => Promise.resolve(3)), undefined); // full: busy
 * equal(await a, 1);
 * equal(await b, 2);
 * ```
 */
export class HashQueue {
  readonly #options: HashQueueOptions;
  #running = 0;
  #waiting = 0;
  /** Waiting jobs per source; Map order is the round-robin order. */
  #queues = new Map<string, (() => void)[]>();
  #perSource = new Map<string, number>();

  constructor(options: HashQueueOptions) {
    this.#options = { ...options, running: Math.max(1, options.running) };
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running;
  }

  /** Jobs waiting for a slot. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Queues `job` for `source`; returns its result, or undefined at once when the queue or
   * the source's share is full. `capped` false exempts the source from the per-source cap
   * (e.g. loopback), never from the overall bounds.
   */
  submit<T>(source: string, job: () => Promise<T>, capped = true): Promise<T> | undefined {
    const o = this.#options;
    const mine = this.#perSource.get(source) ?? 0;
    if (capped && o.perSource > 0 && mine >= o.perSource) return undefined;
    const free = this.#running < o.running;
    if (!free && this.#waiting >= o.waiting) return undefined;
    this.#perSource.set(source, mine + 1);
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        this.#running++;
        let pending: Promise<T>;
        try {
          pending = job();
        } catch (err) {
          pending = Promise.reject(err);
        }
        // the slot is free before the caller sees the result, so it may submit again at once
        pending.then(
          (value) => {
            this.#done(source);
            resolve(value);
          },
          (err) => {
            this.#done(source);
            reject(err);
          },
        );
      };
      if (free) run();
      else {
        this.#waiting++;
        const list = this.#queues.get(source);
        if (list) list.push(run);
        else this.#queues.set(source, [run]);
      }
    });
  }

  #done(source: string): void {
    this.#running--;
    const left = (this.#perSource.get(source) ?? 1) - 1;
    if (left > 0) this.#perSource.set(source, left);
    else this.#perSource.delete(source);
    const next = this.#queues.entries().next();
    if (next.done) return;
    const [nextSource, list] = next.value;
    const run = list.shift()!;
    // the source goes to the back of the rotation (or leaves it when it has nothing left)
    this.#queues.delete(nextSource);
    if (list.length > 0) this.#queues.set(nextSource, list);
    this.#waiting--;
    run();
  }
}
