import type { Test } from 'tap';
import { mb, type FuzzHub, type ResourceSample } from './fuzz-hub.js';

/**
 * How far the hub's resources may grow past their figures after the first (warm-up) batch.
 *
 * What the hub may legitimately keep under fuzz is bounded by its configuration: at most
 * 200 finished tasks (SWITCHBOARD_MAX_FINISHED) with payload, result and error each under the
 * 64 KiB frame limit, unfinished tasks are swept after every batch, the event ring holds
 * 10,000 small events, and every fuzz connection is closed before a probe. So:
 *
 * - heap after a forced full GC: +48 MB. The finished-task cap alone could hold a few MB of
 *   fuzzed payloads and error messages; 48 MB is far above that and far below what a leak
 *   does over a run (1 KiB retained per frame is 10 MB at 10,000 frames, 200 MB in the long
 *   mode; a session object kept per connection is ~1 MB per 1,000 connections).
 * - open file descriptors: +32. Every fuzz socket is closed before we count; a leaked one per
 *   connection is hundreds. The slack covers our own keep-alive HTTP connections and WAL
 *   segments.
 * - RSS: +256 MB. RSS includes pages V8 keeps after collecting and the allocator's caches,
 *   so it is noisy; the bound only catches runaway native memory (buffers outside the heap).
 */
export const BOUNDS = {
  heapUsedBytes: 48 * 1024 * 1024,
  fds: 32,
  rssBytes: 256 * 1024 * 1024,
} as const;

/** A sentence naming every bound `now` exceeds relative to `base`, or undefined. */
export function checkBounds(base: ResourceSample, now: ResourceSample): string | undefined {
  const over: string[] = [];
  if (now.heapUsed - base.heapUsed > BOUNDS.heapUsedBytes) {
    over.push(
      `heap after GC grew ${mb(now.heapUsed - base.heapUsed)} (bound ${mb(BOUNDS.heapUsedBytes)})`,
    );
  }
  if (now.fds - base.fds > BOUNDS.fds) {
    over.push(`open fds grew from ${base.fds} to ${now.fds} (bound +${BOUNDS.fds})`);
  }
  if (now.rss - base.rss > BOUNDS.rssBytes) {
    over.push(`RSS grew ${mb(now.rss - base.rss)} (bound ${mb(BOUNDS.rssBytes)})`);
  }
  return over.length ? over.join('; ') : undefined;
}

export function formatSample(s: ResourceSample): string {
  return `heap after GC ${mb(s.heapUsed)}, RSS ${mb(s.rss)}, ${s.fds} fds`;
}

/**
 * A fuzz run's health checks between batches. The first batch warms up (JIT, schema caches,
 * buffers, the first leases and finished tasks); every later one is held to its figures.
 */
export class BatchChecks {
  baseline: ResourceSample | undefined;
  /** Unfinished tasks cancelled after the batches, so retained state stays bounded. */
  swept = 0;

  private constructor(
    private readonly hub: FuzzHub,
    readonly before: ResourceSample,
    public last: ResourceSample,
  ) {}

  /** The hub passes its probe before any fuzzing; its resources then are `before`. */
  static async start(hub: FuzzHub): Promise<BatchChecks> {
    await hub.probe();
    const before = await hub.resources();
    return new BatchChecks(hub, before, before);
  }

  /**
   * After a batch: the hub passes its probe, unfinished tasks are swept, and its resources
   * are within bounds. Otherwise `t` fails naming `where`, and the answer is false: stop.
   */
  async afterBatch(t: Test, where: string): Promise<boolean> {
    try {
      await this.hub.probe();
    } catch (err) {
      t.fail(`${where}: the hub failed its probe: ${(err as Error).message}`);
      return false;
    }
    this.swept += await this.hub.sweepTasks();
    this.last = await this.hub.resources();
    if (this.baseline === undefined) this.baseline = this.last;
    const over = checkBounds(this.baseline, this.last);
    if (over) {
      t.fail(`${where}: ${over}`);
      return false;
    }
    return true;
  }

  /** The resources before, after the warm-up and at the end, as comments. */
  report(t: Test): void {
    t.comment(`resources before: ${formatSample(this.before)}`);
    t.comment(`after warm-up:    ${formatSample(this.baseline ?? this.before)}`);
    t.comment(`at the end:       ${formatSample(this.last)}`);
  }
}
