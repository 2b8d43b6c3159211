/**
 * A small log-linear latency histogram (in the spirit of HdrHistogram): constant memory,
 * about 1.6% relative error, mergeable across worker processes, serialisable as JSON.
 *
 * @module
 */

/** Sub-buckets per power of two; the relative error of a bucket is at most 1/SUB. */
const SUB = 64;
const SUB_BITS = 6;
/** Values are integers in microseconds, clamped to 2^31-1 (about 35 minutes). */
const MAX_VALUE = 0x7fffffff;
const BUCKETS = (31 - SUB_BITS + 1) * SUB;

/** The JSON form of a {@link Histogram}: sparse `[index, count]` pairs plus exact extremes. */
export interface HistogramJson {
  /** Non-empty buckets as `[bucket index, count]`. */
  buckets: [number, number][];
  /** Number of recorded values. */
  count: number;
  /** Sum of recorded values (microseconds). */
  sum: number;
  /** Largest recorded value (microseconds), exact. */
  max: number;
}

function bucketOf(v: number): number {
  if (v < SUB) return v;
  const e = 31 - Math.clz32(v);
  const shift = e - SUB_BITS;
  return (shift + 1) * SUB + ((v >>> shift) - SUB);
}

function upperOf(index: number): number {
  if (index < SUB) return index;
  const shift = Math.floor(index / SUB) - 1;
  const sub = (index % SUB) + SUB;
  return ((sub + 1) << shift) - 1;
}

/**
 * Latency histogram over integer microseconds.
 *
 * @example
 * ```ts
 * import { Histogram } from "./histogram.ts";
 * const h = new Histogram();
 * h.recordMs(1.5);
 * h.recordMs(12);
 * h.percentileMs(50); // ~1.5
 * ```
 */
export class Histogram {
  /** Count per bucket. */
  readonly counts: Float64Array = new Float64Array(BUCKETS);
  /** Number of recorded values. */
  count = 0;
  /** Sum of recorded values in microseconds. */
  sum = 0;
  /** Largest recorded value in microseconds. */
  max = 0;

  /** Records a value given in microseconds (negative values count as 0). */
  recordUs(us: number): void {
    let v = us | 0;
    if (v < 0) v = 0;
    else if (us > MAX_VALUE) v = MAX_VALUE;
    this.counts[bucketOf(v)]++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** Records a value given in milliseconds. */
  recordMs(ms: number): void {
    this.recordUs(ms * 1000);
  }

  /** Records `n` copies of one value in microseconds (cheap batch form). */
  recordUsN(us: number, n: number): void {
    if (n <= 0) return;
    let v = us | 0;
    if (v < 0) v = 0;
    else if (us > MAX_VALUE) v = MAX_VALUE;
    this.counts[bucketOf(v)] += n;
    this.count += n;
    this.sum += v * n;
    if (v > this.max) this.max = v;
  }

  /** Adds every value of another histogram (or its JSON form) to this one. */
  merge(other: Histogram | HistogramJson): void {
    if (other instanceof Histogram) {
      for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    } else {
      for (const [i, c] of other.buckets) this.counts[i] += c;
    }
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value at percentile `p` (0..100) in milliseconds; 0 when empty. Never above max. */
  percentileMs(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(upperOf(i), this.max) / 1000;
    }
    return this.max / 1000;
  }

  /** Mean in milliseconds; 0 when empty. */
  meanMs(): number {
    return this.count === 0 ? 0 : this.sum / this.count / 1000;
  }

  /** Largest value in milliseconds. */
  maxMs(): number {
    return this.max / 1000;
  }

  /** Clears all counts. */
  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  /** The sparse JSON form. */
  toJSON(): HistogramJson {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] !== 0) buckets.push([i, this.counts[i]]);
    return { buckets, count: this.count, sum: this.sum, max: this.max };
  }

  /** Rebuilds a histogram from its JSON form. */
  static fromJSON(json: HistogramJson): Histogram {
    const h = new Histogram();
    h.merge(json);
    return h;
  }
}
