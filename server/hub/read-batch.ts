/**
 * The frames one event-loop iteration reads from the sockets, accounted as one batch.
 *
 * uWebSockets.js hands over every frame of a socket read, and of every socket readable in
 * the same poll, one callback after another before the loop moves on. Per frame, the rate
 * limiter's clock read and the frames-in counter (a prom-client label) cost more than the
 * rest of the bookkeeping; per batch they cost nothing worth measuring. The clock is read
 * at the batch's first frame: a long batch sees time stand still, so a limiter refills a
 * little late (never less: the next batch's elapsed time includes what this one missed).
 */
export class ReadBatch {
  private stamp = -1;
  private frames = 0;
  private armed = false;

  constructor(private readonly countFramesIn: (n: number) => void) {}

  /** One frame read. */
  frame(): void {
    this.frames++;
    if (!this.armed) this.arm();
  }

  /** Monotonic milliseconds (performance.now()), read once per batch. */
  now(): number {
    if (this.stamp < 0) {
      this.stamp = performance.now();
      if (!this.armed) this.arm();
    }
    return this.stamp;
  }

  private arm(): void {
    this.armed = true;
    // setImmediate runs after the poll phase, i.e. after every read of this iteration.
    setImmediate(this.end);
  }

  private readonly end = (): void => {
    this.armed = false;
    this.stamp = -1;
    const n = this.frames;
    this.frames = 0;
    if (n > 0) this.countFramesIn(n);
  };
}
