/** What the hub does with a frame after `RateLimiter.take`. */
export const RateVerdict = {
  /** Within the rate. */
  ok: 0,
  /** First frame over the rate in this episode: tell the client (error frame RATE_LIMITED). */
  warn: 1,
  /** Still over the rate a whole burst later: close the connection (4029). */
  close: 2,
  /** Closed already, frames still in flight (the close handshake takes a moment): ignore. */
  drop: 3,
} as const;
export type RateVerdictValue = (typeof RateVerdict)[keyof typeof RateVerdict];

export interface RateLimits {
  /** Frames per second refilled; 0 = no frame limit. */
  frameRate: number;
  frameBurst: number;
  /** Bytes per second refilled; 0 = no byte limit. */
  byteRate: number;
  byteBurst: number;
}

/**
 * Two token buckets per connection (frames and bytes), O(1) per frame: refill by elapsed
 * time, take one frame and its length. A bucket starts full at `burst`. Going below zero
 * warns once; the frames are still served (a short overshoot is a client bug, not an
 * attack, and dropping frames would lose acks). A debt of a further whole `burst` means
 * the client ignored the warning: close. Back at zero or above, a later overshoot warns
 * again.
 */
export class RateLimiter {
  private frames: number;
  private bytes: number;
  private last: number;
  private warned = false;
  private closing = false;

  constructor(
    private readonly limits: RateLimits,
    now: number,
  ) {
    this.frames = limits.frameBurst;
    this.bytes = limits.byteBurst;
    this.last = now;
  }

  /** Null when both limits are off: the hub then skips the check entirely. */
  static create(limits: RateLimits, now: number): RateLimiter | undefined {
    return limits.frameRate > 0 || limits.byteRate > 0 ? new RateLimiter(limits, now) : undefined;
  }

  take(byteLength: number, now: number): RateVerdictValue {
    if (this.closing) return RateVerdict.drop;
    const { frameRate, frameBurst, byteRate, byteBurst } = this.limits;
    const elapsed = now - this.last;
    this.last = now;
    let over = false;
    let exhausted = false;
    if (frameRate > 0) {
      // Not clamped at zero: a debt is paid off by the refill, not forgiven.
      this.frames = Math.min(frameBurst, this.frames + (elapsed * frameRate) / 1000) - 1;
      if (this.frames < 0) {
        over = true;
        if (this.frames < -frameBurst) exhausted = true;
      }
    }
    if (byteRate > 0) {
      this.bytes = Math.min(byteBurst, this.bytes + (elapsed * byteRate) / 1000) - byteLength;
      if (this.bytes < 0) {
        over = true;
        if (this.bytes < -byteBurst) exhausted = true;
      }
    }
    if (!over) {
      this.warned = false;
      return RateVerdict.ok;
    }
    if (exhausted) {
      this.closing = true;
      return RateVerdict.close;
    }
    if (this.warned) return RateVerdict.ok;
    this.warned = true;
    return RateVerdict.warn;
  }

  /** For the error frame: which limit, in words. */
  describe(): string {
    const { frameRate, frameBurst, byteRate, byteBurst } = this.limits;
    const parts: string[] = [];
    if (frameRate > 0) parts.push(`${frameRate} frames/s (burst ${frameBurst})`);
    if (byteRate > 0) parts.push(`${byteRate} bytes/s (burst ${byteBurst})`);
    return parts.join(' and ');
  }
}
