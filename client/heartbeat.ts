import { unref } from './timers.js';

/**
 * A WebSocket session's heartbeat: one sent per interval, and a hub that said nothing for
 * three intervals (not even the ack to our heartbeats) is gone. The connection counts the
 * frames it reads in `frames`, which keeps a clock read off the per-frame path.
 */
export class Heartbeat {
  /** Frames read since the last tick. */
  frames = 0;
  /** Ticks in a row without a frame. */
  private silentTicks = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** When the heartbeat now unanswered was sent (its ack, id 0, gives the round trip). */
  private sentAt: number | undefined;

  /** `beat` sends one (false: not sent); `silent` drops the socket of a hub that is gone. */
  constructor(
    private readonly beat: () => boolean,
    private readonly silent: () => void,
  ) {}

  start(intervalMs: number): void {
    this.stop();
    this.frames = 0;
    this.silentTicks = 0;
    this.timer = setInterval(this.tick, intervalMs);
    unref(this.timer);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The socket is gone: the heartbeat sent on it will not be answered. */
  forget(): void {
    this.sentAt = undefined;
  }

  /** The hub acked a heartbeat: the round trip in ms, if one was awaited. */
  acked(): number | undefined {
    if (this.sentAt === undefined) return undefined;
    const rtt = Date.now() - this.sentAt;
    this.sentAt = undefined;
    return rtt;
  }

  private readonly tick = (): void => {
    this.silentTicks = this.frames === 0 ? this.silentTicks + 1 : 0;
    this.frames = 0;
    if (this.silentTicks >= 3) {
      this.silent();
      return;
    }
    if (this.beat()) this.sentAt = Date.now();
  };
}
