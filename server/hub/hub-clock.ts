import type { Command, CommandResult, Core } from '../core/index.js';
import type { IdleMemoryRelease } from './idle-memory-release.js';

/** What the clock needs of the hub: its core (replaced on recovery) and the command path. */
export interface ClockHost {
  readonly core: Pick<Core, 'nextWakeAt' | 'nextGcAt'>;
  now(): number;
  execute(cmd: Command): { result: CommandResult; seq: number };
}

/**
 * The hub's timers: the core is pure and is told the time, so a `tick` runs when the core's
 * next deadline comes (a lease, a delay, a schedule) and a `gc` once a second when it has
 * something to evict. Idle memory release is checked on the same beat.
 */
export class HubClock {
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private gcTimer: NodeJS.Timeout | undefined;
  /**
   * Set by halt(): a successor may lead and this hub's store is closed, so nothing may
   * reach the core any more, not a timer's tick nor the disconnects of the sessions it closes.
   */
  halted = false;

  constructor(
    private readonly hub: ClockHost,
    private readonly idleRelease: IdleMemoryRelease,
  ) {}

  /** After every command: wake for the core's next deadline if it comes sooner. */
  scheduleWake(): void {
    if (this.halted) return;
    const at = this.hub.core.nextWakeAt();
    if (at === undefined || at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => this.wake(), Math.max(0, at - Date.now()));
  }

  /** Once the hub is ready: the once-a-second gc check. */
  startGc(): void {
    this.gcTimer = setInterval(() => this.gc(), 1000);
    this.gcTimer.unref();
  }

  /** Clear both timers (a stopping hub). */
  stop(): void {
    clearTimeout(this.wakeTimer);
    clearInterval(this.gcTimer);
  }

  /** Clear both timers and never set them again (an abandoned hub). */
  halt(): void {
    this.halted = true;
    this.stop();
  }

  private wake(): void {
    if (this.halted) return;
    this.wakeAt = Infinity;
    this.wakeTimer = undefined;
    this.hub.execute({ type: 'tick', now: this.hub.now() });
  }

  private gc(): void {
    if (this.halted) return;
    const at = this.hub.core.nextGcAt();
    const now = this.hub.now();
    if (at !== undefined && at <= now) this.hub.execute({ type: 'gc', now });
    this.idleRelease.check(now);
  }
}
