import type { Logger } from 'pino';
import { releaseIdleMemory } from '../support/idle-memory.js';

/** How much RSS must have grown since the last release to earn another. */
const RELEASE_GROWTH = 16 * 1024 * 1024;

/**
 * When to hand memory back: once per burst, after the hub has been quiet for `afterMs`
 * (heartbeats and ticks are not activity), and only if memory grew since the last time.
 */
export class IdleMemoryRelease {
  private activity = 0;
  private lastActivityCount = 0;
  private lastActiveAt = 0;
  private armed = false;
  /** RSS right after the last release: only a burst that grew past it earns another. */
  private rssAfterRelease = 0;

  constructor(
    private readonly afterMs: number,
    private readonly log: Logger,
  ) {}

  /** A command or a connection happened. Called on the hot path: a counter, nothing more. */
  noteActivity(): void {
    this.activity++;
  }

  /** Called about once a second. */
  check(now: number): void {
    if (this.afterMs <= 0) return;
    if (this.activity !== this.lastActivityCount) {
      this.lastActivityCount = this.activity;
      this.lastActiveAt = now;
      this.armed = true;
      return;
    }
    if (!this.armed || now - this.lastActiveAt < this.afterMs) return;
    this.armed = false;
    // A trickle (an HTTP worker polling every 15 s, a probe every 30 s) is not a burst: a
    // full collection of a large heap for each would cost more than it returns.
    if (
      this.rssAfterRelease > 0 &&
      process.memoryUsage.rss() < this.rssAfterRelease + RELEASE_GROWTH
    ) {
      return;
    }
    void releaseIdleMemory().then((r) => {
      if (!r) return;
      this.rssAfterRelease = r.rssAfter;
      this.log.debug(
        {
          pauseMs: Math.round(r.pauseMs),
          rssBeforeMb: Math.round(r.rssBefore / 1e6),
          rssAfterMb: Math.round(r.rssAfter / 1e6),
        },
        'idle: memory released',
      );
    });
  }
}
