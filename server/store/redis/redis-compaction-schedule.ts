import { storeClosedError } from '../errors.js';
import { plainRedisTarget } from './redis-connection.js';
import { startRedisCompaction, type RunningCompaction } from './redis-compactor.js';
import type { Loaded } from './redis-recovery.js';
import { isFencedReply } from './redis-scripts.js';
import { DEFAULT_CHUNK_BYTES } from './redis-snapshot.js';
import type { RedisStoreContext } from './redis-store-context.js';
import { fencedError } from './redis-store-lease.js';

/**
 * When the store folds its log into a snapshot: on a timer, or once the log since the last
 * snapshot is long (in records, in bytes, or against the snapshot's own size); and the
 * compaction itself, run in a worker thread (redis-compactor.ts).
 */
export class CompactionSchedule {
  private timer: NodeJS.Timeout | undefined;
  /** The compaction under way: waiting for its records to be durable, then in its thread. */
  private compacting: Promise<void> | undefined;
  private compactor: RunningCompaction | undefined;
  private endWait: (() => void) | undefined;
  private recordsSinceSnapshot = 0;
  private bytesSinceSnapshot = 0;
  /** The current snapshot's size (0: none yet), against which the log's length is judged. */
  private snapshotBytes = 0;
  /** When the current snapshot was written, by whichever hub (0: overdue). */
  private lastSnapshotAt = 0;

  /** `flush()`: send what is buffered now (a compaction asked for covers it). */
  constructor(
    private readonly ctx: RedisStoreContext,
    private readonly flush: () => void,
  ) {}

  /** After open()'s load: count the log it found, and start the timer. */
  start(loaded: Loaded): void {
    // The log this store recovered is what a successor would replay too: it counts toward
    // the next snapshot, or leaders that change faster than the thresholds would let the
    // log grow until recovering it takes longer than the lease.
    this.recordsSinceSnapshot = loaded.sinceSnapshot;
    this.bytesSinceSnapshot = loaded.bytes;
    this.snapshotBytes = loaded.snapshotBytes;
    // No snapshot: a fresh cluster counts its interval from now; a log left by leaders
    // that never wrote one is overdue at once.
    this.lastSnapshotAt = loaded.snapshotAt ?? (loaded.records.length > 0 ? 0 : Date.now());
    this.timer = setInterval(
      () => this.maybeCompact(true),
      this.ctx.options.snapshotIntervalMs ?? 60_000,
    );
    this.timer.unref();
  }

  /** A record of `bytes` was appended. */
  appended(bytes: number): void {
    this.recordsSinceSnapshot++;
    this.bytesSinceSnapshot += bytes;
  }

  /** No compaction is started from now on (the store closes or failed). */
  stopTimer(): void {
    clearInterval(this.timer);
  }

  /** The process "dies": a compaction waiting for its records stops waiting. */
  abandon(): void {
    this.endWait?.();
  }

  /** Stop the compaction under way (close()), and wait until it has. */
  async stop(): Promise<void> {
    await this.compactor?.stop();
    await this.compacting;
  }

  maybeCompact(onTimer: boolean): void {
    if (this.compacting || this.ctx.closed || this.ctx.fatal) return;
    if (this.recordsSinceSnapshot === 0) return;
    // Overdue counts the interval from the snapshot's own time, not this store's open: a
    // leader that took over from one that never reached its timer compacts now. Checked
    // after a batch only, so never before the hub's replay has finished (the first batch
    // is the recover record, appended after it).
    const overdue =
      Date.now() - this.lastSnapshotAt >= (this.ctx.options.snapshotIntervalMs ?? 60_000);
    if (
      overdue ||
      onTimer ||
      this.recordsSinceSnapshot >= (this.ctx.options.snapshotAfterRecords ?? 200_000) ||
      this.bytesSinceSnapshot >= (this.ctx.options.snapshotAfterBytes ?? 64 * 1024 * 1024) ||
      this.bytesSinceSnapshot >=
        Math.max(
          this.ctx.options.snapshotMinLogBytes ?? 1024 * 1024,
          (this.ctx.options.snapshotAfterLogRatio ?? 0.5) * this.snapshotBytes,
        )
    )
      void this.compact(false);
  }

  /**
   * Fold the log into a new snapshot now, covering every record appended so far (once they
   * are durable), and trim the log it covers. The work runs in a worker thread with its own
   * Redis connection (redis-compactor-worker.ts): the current snapshot plus the log after it,
   * replayed through the pure core with the live core's options. The main thread never
   * serialises the live state. Resolves when written or given up (logged; the previous
   * snapshot and the log stay, and the next compaction is tried on schedule).
   */
  compactNow(): Promise<void> {
    return this.compact(true);
  }

  private compact(all: boolean): Promise<void> {
    if (this.compacting) return this.compacting;
    if (this.ctx.fatal || this.ctx.closed || !this.ctx.data || !this.ctx.lease)
      return Promise.resolve();
    const target = this.ctx.seq;
    this.flush();
    this.compacting = (async () => {
      // On a trigger the durable records are covered; when asked, wait for all appended.
      if (all && target > this.ctx.waiters.durableSeq) {
        const lost = await new Promise<Error | undefined>((resolve) => {
          this.ctx.waiters.add(target, resolve);
          // abandon() runs no callback: it ends this wait itself.
          this.endWait = () => resolve(storeClosedError('redis'));
        });
        this.endWait = undefined;
        // Not all in the log (the store failed, or close() gave up on them): nothing to fold.
        if (lost) return;
      }
      if (this.ctx.fatal || this.ctx.silent || !this.ctx.lease) return;
      await this.runCompaction(this.ctx.base + this.ctx.waiters.durableSeq, this.ctx.lease.epoch);
    })().finally(() => {
      this.compacting = undefined;
    });
    return this.compacting;
  }

  private async runCompaction(covers: number, epoch: number): Promise<void> {
    const records = this.recordsSinceSnapshot;
    const bytes = this.bytesSinceSnapshot;
    // What is appended from now on is not in this compaction.
    this.recordsSinceSnapshot = this.ctx.seq - (covers - this.ctx.base);
    this.bytesSinceSnapshot = 0;
    const t0 = performance.now();
    const running = startRedisCompaction({
      redis: plainRedisTarget(this.ctx.options.redis),
      prefix: this.ctx.keys.prefix,
      hubId: this.ctx.hubId,
      epoch,
      covers,
      chunkBytes: this.ctx.options.snapshotChunkBytes ?? DEFAULT_CHUNK_BYTES,
      replayOptions: this.ctx.options.replayOptions,
    });
    this.compactor = running;
    try {
      const result = await running.done;
      if (this.ctx.silent) return;
      if (!result.meta) return;
      this.lastSnapshotAt = result.meta.at;
      this.snapshotBytes = result.meta.bytes;
      this.ctx.counters.snapshots++;
      this.ctx.counters.entries = Math.max(0, this.ctx.counters.entries - result.entries);
      this.ctx.options.logger?.info(
        {
          keys: this.ctx.keys.tag,
          covers,
          records: result.records,
          tasks: result.tasks,
          bytes: result.meta.bytes,
          chunks: result.meta.chunks,
          ms: Math.round(performance.now() - t0),
          threadMs: Object.fromEntries(
            Object.entries(result.ms).map(([k, v]) => [k, Math.round(v)]),
          ),
        },
        'compacted the Redis engine log into a snapshot (in a worker thread) and trimmed the log it covers',
      );
    } catch (err) {
      if (this.ctx.silent) return;
      if (isFencedReply(err)) {
        this.ctx.die(
          fencedError(this.ctx.keys, this.ctx.lease?.epoch ?? 0, (err as Error).message),
        );
        return;
      }
      // Failed already (said), or stopped by close().
      if (this.ctx.fatal || this.ctx.closed) return;
      this.recordsSinceSnapshot += records;
      this.bytesSinceSnapshot += bytes;
      this.ctx.options.logger?.warn(
        { keys: this.ctx.keys.tag, err: (err as Error).message },
        'could not compact the Redis engine log; the log is kept and compaction is tried again',
      );
    } finally {
      this.compactor = undefined;
    }
  }
}
