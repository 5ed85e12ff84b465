/**
 * Callbacks waiting for a sequence number to become durable, and the ranges that never
 * will (a write that failed). Callbacks fire in the order they were registered.
 */
export class DurabilityWaiters {
  private waiters: { seq: number; cb: (err?: Error) => void }[] = [];
  private readonly failed: { from: number; to: number; err: Error }[] = [];
  durableSeq = 0;

  add(seq: number, cb: (err?: Error) => void): void {
    const lost = this.lostError(seq);
    if (lost) cb(lost);
    else if (seq <= this.durableSeq) cb();
    else this.waiters.push({ seq, cb });
  }

  /** Everything up to `seq` is on disk. */
  resolve(seq: number): void {
    if (seq > this.durableSeq) this.durableSeq = seq;
    this.settle();
  }

  /** Records in (durableSeq, seq] were not written: fail their waiters, remember the range. */
  fail(seq: number, err: Error): void {
    if (seq > this.durableSeq) {
      this.failed.push({ from: this.durableSeq + 1, to: seq, err });
      if (this.failed.length > 64) this.failed.shift();
      this.durableSeq = seq;
    }
    this.settle();
  }

  /** Fail everything still waiting (store closed or fatal). */
  failAll(err: Error): void {
    const w = this.waiters;
    this.waiters = [];
    for (const { cb } of w) cb(err);
  }

  private settle(): void {
    if (this.waiters.length === 0) return;
    const keep: typeof this.waiters = [];
    const ready: typeof this.waiters = [];
    for (const w of this.waiters) (w.seq <= this.durableSeq ? ready : keep).push(w);
    this.waiters = keep;
    for (const w of ready) {
      const lost = this.lostError(w.seq);
      if (lost) w.cb(lost);
      else w.cb();
    }
  }

  private lostError(seq: number): Error | undefined {
    for (const r of this.failed) if (seq >= r.from && seq <= r.to) return r.err;
    return undefined;
  }
}
