/**
 * Sliding windows over time buckets, so a KPI over the last hour costs a few dozen additions and no
 * event is kept: a ring of N buckets of `bucketMs`, each tagged with its absolute bucket number (a
 * bucket that wrapped around is recognised as stale and reset).
 */
export class BucketRing {
  private readonly index: Float64Array;
  private readonly value: Float64Array;

  constructor(
    readonly bucketMs: number,
    readonly size: number,
  ) {
    this.index = new Float64Array(size).fill(-1);
    this.value = new Float64Array(size);
  }

  add(ts: number, n = 1): void {
    const abs = Math.floor(ts / this.bucketMs);
    const slot = abs % this.size;
    const held = this.index[slot] as number;
    if (held === abs) {
      (this.value as Float64Array)[slot] = (this.value[slot] as number) + n;
    } else if (held < abs) {
      this.index[slot] = abs;
      this.value[slot] = n;
    }
    // held > abs: the slot already holds a newer bucket; this event is older than the ring.
  }

  /** Keeps the larger value in the bucket (a peak per bucket rather than a sum). */
  max(ts: number, n: number): void {
    const abs = Math.floor(ts / this.bucketMs);
    const slot = abs % this.size;
    const held = this.index[slot] as number;
    if (held === abs) {
      if (n > (this.value[slot] as number)) this.value[slot] = n;
    } else if (held < abs) {
      this.index[slot] = abs;
      this.value[slot] = n;
    }
  }

  private *buckets(now: number, windowMs: number): Generator<number> {
    const last = Math.floor(now / this.bucketMs);
    const count = Math.min(this.size, Math.ceil(windowMs / this.bucketMs));
    for (let abs = last - count + 1; abs <= last; abs++) {
      if (abs < 0) continue;
      const slot = abs % this.size;
      if (this.index[slot] === abs) yield this.value[slot] as number;
    }
  }

  /** Sum over the buckets of the window ending at `now` (the current bucket included). */
  sum(now: number, windowMs: number): number {
    let s = 0;
    for (const v of this.buckets(now, windowMs)) s += v;
    return s;
  }

  peak(now: number, windowMs: number): number {
    let m = 0;
    for (const v of this.buckets(now, windowMs)) if (v > m) m = v;
    return m;
  }

  /** How many buckets of the window hold more than `threshold`. */
  countAbove(now: number, windowMs: number, threshold: number): number {
    let c = 0;
    for (const v of this.buckets(now, windowMs)) if (v > threshold) c++;
    return c;
  }
}
