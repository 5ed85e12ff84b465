/**
 * One token bucket per key (an agent, a credential), O(1) per call: refill by elapsed time,
 * take one. A bucket starts full at `burst`. At most `maxKeys` buckets are kept, the least
 * recently used going first: a forgotten bucket starts full again, which is the most a
 * client cycling through many keys can gain, and no more than it gets by being new.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    perMinute: number,
    private readonly burst: number,
    private readonly maxKeys = 100_000,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** 0 when a token was taken; otherwise how many ms until one is there (nothing taken). */
  take(key: string, now: number): number {
    if (this.perMs === 0) return 0;
    let b = this.buckets.get(key);
    if (b) {
      // A clock that stepped back refills nothing; it never drains.
      b.tokens = Math.min(this.burst, b.tokens + Math.max(0, now - b.at) * this.perMs);
      b.at = now;
      this.buckets.delete(key);
    } else {
      b = { tokens: this.burst, at: now };
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.perMs);
  }

  get size(): number {
    return this.buckets.size;
  }
}
