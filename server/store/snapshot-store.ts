import path from 'node:path';
import { ensureDataDir, lockDataDir } from './data-dir.js';
import { storeClosedError } from './errors.js';
import { listDataFiles } from './wal-files.js';
import { readSnapshotFile, snapshotName, writeSnapshotFile } from './snapshot-file.js';
import type { Recovered, Store, StoreOptions, StoreStats } from './store.js';
import { unlinkSync } from 'node:fs';

/**
 * Periodic full snapshots and nothing else: acknowledgements do not wait for disk, and a
 * crash loses what changed since the last snapshot (at most snapshotIntervalMs). The
 * snapshot is serialised on the main thread, so the hub pauses for it: prefer `wal` for
 * large states.
 */
export class SnapshotStore implements Store {
  readonly mode = 'snapshot' as const;
  private seq = 0;
  private provider: (() => object) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unlock: (() => void) | undefined;
  private generation = 0;
  private readonly dir: string;
  private fsyncs = 0;
  private closed = false;

  constructor(private readonly options: StoreOptions) {
    this.dir = path.resolve(options.dataDir);
  }

  get durableSeq(): number {
    return this.seq;
  }

  async open(): Promise<Recovered> {
    ensureDataDir(this.dir);
    this.unlock = lockDataDir(this.dir);
    const { snapshots } = listDataFiles(this.dir);
    let snapshot: unknown;
    if (snapshots.length) {
      this.generation = snapshots[snapshots.length - 1]!;
      snapshot = readSnapshotFile(path.join(this.dir, snapshotName(this.generation))).state;
    }
    this.timer = setInterval(() => this.snapshotNow(), this.options.snapshotIntervalMs ?? 60_000);
    this.timer.unref();
    return {
      snapshot,
      records: [],
      stats: {
        snapshot: snapshot !== undefined,
        walRecords: 0,
        segments: 0,
        droppedTailBytes: 0,
        droppedTailRecords: 0,
        ms: 0,
      },
    };
  }

  setStateProvider(provider: () => object): void {
    this.provider = provider;
  }

  snapshotNow(): void {
    if (!this.provider) return;
    const previous = this.generation;
    try {
      writeSnapshotFile(this.dir, {
        coversSegment: previous + 1,
        createdAt: Date.now(),
        state: this.provider(),
      });
    } catch (err) {
      // Runs on a timer: a throw here would take the process down. Snapshot mode promises
      // no durability per write, so the previous snapshot stays and the next tick retries.
      const e = err as NodeJS.ErrnoException;
      this.options.logger?.error(
        { dir: this.dir, code: e.code },
        e.code === 'ENOSPC' || e.code === 'EDQUOT'
          ? 'disk full: snapshot not written; the previous one is kept and the next is tried on schedule'
          : `snapshot not written (${e.message}); the previous one is kept`,
      );
      return;
    }
    this.generation = previous + 1;
    this.fsyncs++;
    if (previous) {
      try {
        unlinkSync(path.join(this.dir, snapshotName(previous)));
      } catch {
        // already gone
      }
    }
  }

  append(_record: object): number {
    if (this.closed) throw storeClosedError(this.mode);
    return ++this.seq;
  }

  onDurable(_seq: number, cb: (err?: Error) => void): void {
    cb();
  }

  async close(): Promise<void> {
    // Once only: a second close must not write a snapshot into, or unlock, a data dir that
    // another store may hold by now.
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.snapshotNow();
    this.unlock?.();
  }

  stats(): StoreStats {
    return {
      mode: this.mode,
      appended: this.seq,
      durableSeq: this.seq,
      fsyncs: this.fsyncs,
      lastFsyncMs: 0,
      bytesWritten: 0,
      segments: 0,
      compactions: 0,
    };
  }

  onFsyncLatency(): void {}
  onFatal(): void {}
}
