// A latency histogram with 0.1 ms buckets up to 60 s: constant memory whatever the number of samples,
// and mergeable across worker threads.
const BUCKET_MS = 0.1;
const BUCKETS = 600_000;

export class Histogram {
  readonly counts: Uint32Array;
  count = 0;
  max = 0;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(BUCKETS);
  }

  record(ms: number): void {
    const bucket = Math.min(BUCKETS - 1, Math.max(0, Math.floor(ms / BUCKET_MS)));
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  merge(other: { counts: Uint32Array; count: number; max: number }): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.count += other.count;
    this.max = Math.max(this.max, other.max);
  }

  /** The latency below which `fraction` of the samples fall, in ms. */
  percentile(fraction: number): number {
    if (this.count === 0) return NaN;
    const target = Math.ceil(this.count * fraction);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= target) return (i + 1) * BUCKET_MS;
    }
    return this.max;
  }

  toJSON(): { count: number; p50: number; p90: number; p99: number; max: number } {
    return { count: this.count, p50: this.percentile(0.5), p90: this.percentile(0.9), p99: this.percentile(0.99), max: this.max };
  }
}

/** This thread's time origin, read once: the getter costs more than performance.now() itself. */
const TIME_ORIGIN = performance.timeOrigin;

/** Wall-clock milliseconds with sub-millisecond precision, comparable across the threads of a process. */
export function nowMs(): number {
  return TIME_ORIGIN + performance.now();
}
