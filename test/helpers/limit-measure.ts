/**
 * What workers actually received, for the queue-limit tests: receive times (for a sliding
 * window over them) and how many handlers ran at once (overall and per group).
 */

/** The most timestamps in any window [t, t + windowMs) over `times`. */
export function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** Counts handlers running at once, by key ('' for the whole set), and the peak of each. */
export class Overlap {
  private readonly now = new Map<string, number>();
  readonly peak = new Map<string, number>();

  enter(key = ''): void {
    for (const k of key === '' ? [''] : ['', key]) {
      const n = (this.now.get(k) ?? 0) + 1;
      this.now.set(k, n);
      if (n > (this.peak.get(k) ?? 0)) this.peak.set(k, n);
    }
  }

  leave(key = ''): void {
    for (const k of key === '' ? [''] : ['', key]) this.now.set(k, this.now.get(k)! - 1);
  }

  /** Peak of one key ('' = all). */
  max(key = ''): number {
    return this.peak.get(key) ?? 0;
  }
}
