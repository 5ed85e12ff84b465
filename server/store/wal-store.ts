import { closeSync, openSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { Packr, RESET_BUFFER_MODE } from 'msgpackr';
import { ensureDataDir, fsyncDir, lockDataDir } from './data-dir.js';
import { DurabilityWaiters } from './durability-waiters.js';
import { StoreError, StoreErrorCode, storeClosedError } from './errors.js';
import { runCompaction } from './compactor.js';
import { snapshotName, writeSnapshotFileInSlices } from './snapshot-file.js';
import type { Recovered, Store, StoreOptions, StoreStats } from './store.js';
import {
  isNoSpace,
  listDataFiles,
  nodeWalFileOps,
  segmentPath,
  type WalFileOps,
} from './wal-files.js';
import { readLog } from './wal-reader.js';
import { HEADER_BYTES, writeRecord } from './wal-record.js';

const packr = new Packr({ useRecords: false, moreTypes: false });

/**
 * Each pack starts at the start of the encoder's buffer again. By default msgpackr packs
 * after the previous record and, once its buffer is used up, allocates a new one four
 * times the record: at a 33 KB federation push that was a fresh 128 KB ArrayBuffer every
 * four records, external memory that made V8 run mark-compacts more often. Safe because
 * writeRecord copies a payload into the batch before anything packs again (see append).
 * The buffer kept is about four times the largest record packed, as msgpackr grows it.
 */
const pack = (record: object): Buffer => packr.pack(record, RESET_BUFFER_MODE);

/**
 * Largest snapshotWeight() at which a compaction takes the live state: about 20 ms to copy
 * (hub-core.ts), as long as the event loop already stalls during a compaction by replay
 * (15-18 ms measured, collections and I/O) or a full collection. Above it the hub would
 * pause longer, and the log is replayed in a thread instead.
 */
export const LIVE_COMPACTION_MAX_WEIGHT = 20_000;

/** A compaction from the live state, between the moment it is taken and its snapshot file. */
interface Cut {
  /** When the compaction began (for its log line). */
  readonly t0: number;
  /** Resolves the compaction's promise, whether it completed or was given up. */
  readonly done: () => void;
  /** The state, once taken: it covers every record appended before it. */
  state?: object;
}

/**
 * The write-ahead log. Appends go into an in-memory batch; at the end of the event-loop
 * turn the batch is written with one write() and covered by one fdatasync() (group commit).
 * While that I/O runs on the thread pool, new appends form the next batch. Waiters for a
 * record run once the fsync covering it returns.
 *
 * fsync 'interval': a batch counts as durable once written (it is in the page cache, so a
 * process crash loses nothing); fdatasync runs every fsyncIntervalMs. A power failure or
 * kernel crash can lose what was acknowledged in the last fsyncIntervalMs plus the
 * duration of one fsync.
 */
export class WalStore implements Store {
  readonly mode = 'wal' as const;
  private readonly dir: string;
  private unlock: (() => void) | undefined;
  private fd = -1;
  private segment = 1;
  private segmentBytes = 0;
  private batch = Buffer.allocUnsafe(1 << 20);
  private batchLen = 0;
  private spare = Buffer.allocUnsafe(1 << 20);
  private seq = 0;
  private readonly waiters = new DurabilityWaiters();
  private writing = false;
  private scheduled = false;
  private dirty = false;
  private fsyncTimer: NodeJS.Timeout | undefined;
  private compactTimer: NodeJS.Timeout | undefined;
  private compacting: Promise<void> | undefined;
  private bytesSinceSnapshot = 0;
  private fatal: Error | undefined;
  private preparedRecord: object | undefined;
  private preparedPayload: Uint8Array | undefined;
  private closed = false;
  private intervalSyncing: Promise<void> | undefined;
  /** Closed segments still being synced before their descriptor is closed (retire). */
  private retiring: Promise<void> | undefined;
  private readonly fsyncListeners: ((ms: number) => void)[] = [];
  private readonly fatalListeners: ((err: Error) => void)[] = [];
  private readonly s = { fsyncs: 0, lastFsyncMs: 0, bytesWritten: 0, compactions: 0 };
  private readonly flushNow = (): void => this.flush();
  private compactWaiters: (() => void)[] = [];
  private readonly ops: WalFileOps;
  /** Set while writes fail for lack of space: when it began, and how many batches failed. */
  private full: { since: number; batches: number; smallestFailed: number } | undefined;
  private fullLoggedAt: number | undefined;
  private provider: { state: () => object; weight: (() => number) | undefined } | undefined;
  /**
   * A compaction from the live state waiting for the batch in flush() (no state yet), or
   * for that batch's write (state taken): the segment is cut after it, so that the closed
   * segments hold exactly what the state covers.
   */
  private cut: Cut | undefined;
  /**
   * A batch was refused for lack of space. The hub takes refused submits back, but not every
   * other change, so the live state may now hold what the log does not: from here on only
   * the log is folded (replay), never that state.
   */
  private refusedBatch = false;

  constructor(private readonly options: StoreOptions) {
    this.dir = path.resolve(options.dataDir);
    this.ops = { ...nodeWalFileOps, ...options.fileOps };
  }

  private get segmentFile(): string {
    return segmentPath(this.dir, this.segment);
  }

  get durableSeq(): number {
    return this.waiters.durableSeq;
  }

  async open(): Promise<Recovered> {
    const t0 = performance.now();
    ensureDataDir(this.dir);
    this.unlock = lockDataDir(this.dir);
    try {
      const read = readLog(this.dir, this.options.repair ?? false, this.options.logger);
      this.segment = read.lastSegment;
      this.fd = openSync(segmentPath(this.dir, this.segment), 'a+', 0o600);
      this.segmentBytes = read.lastSegmentBytes;
      fsyncDir(this.dir);
      this.bytesSinceSnapshot = read.payloads.reduce((n, p) => n + p.length + HEADER_BYTES, 0);
      if (this.options.fsync === 'interval') {
        this.fsyncTimer = setInterval(() => this.intervalFsync(), this.options.fsyncIntervalMs);
        this.fsyncTimer.unref();
      }
      const every = this.options.snapshotIntervalMs ?? 60_000;
      this.compactTimer = setInterval(() => this.maybeCompact(true), every);
      this.compactTimer.unref();
      return {
        snapshot: read.snapshot,
        records: read.records,
        stats: {
          snapshot: read.hadSnapshot,
          walRecords: read.payloads.length,
          segments: read.segments,
          droppedTailBytes: read.droppedTailBytes,
          droppedTailRecords: read.droppedTailRecords,
          ms: Math.round(performance.now() - t0),
        },
      };
    } catch (err) {
      this.unlock();
      this.unlock = undefined;
      throw err;
    }
  }

  /**
   * Encode `record` ahead of the command it journals, so a record that cannot be written
   * fails before the core has changed anything. The next append of the same record reuses
   * the bytes.
   */
  prepare(record: object): void {
    if (this.fatal) throw this.fatal;
    if (this.closed) throw storeClosedError(this.mode);
    // Forget the previous preparation first: if this pack throws, an append of the record
    // prepared before must encode it afresh, not reuse a payload that is gone.
    this.preparedRecord = undefined;
    this.preparedPayload = undefined;
    this.preparedPayload = pack(record);
    this.preparedRecord = record;
  }

  append(record: object): number {
    if (this.closed) throw storeClosedError(this.mode);
    // After a fatal error nothing more is written; the record's waiters get that error
    // (onDurable), so a caller rolling back inside a durability callback cannot throw.
    if (this.fatal) return ++this.seq;
    // MUST: pack() returns the encoder's shared buffer; writeRecord copies it into the
    // batch before anything else encodes. A prepared payload is that same buffer, which the
    // next pack overwrites (RESET_BUFFER_MODE): nothing in this store packs between
    // prepare() and the append of the record it prepared, and any other pack forgets it.
    const payload = this.preparedRecord === record ? this.preparedPayload! : pack(record);
    this.preparedRecord = undefined;
    this.preparedPayload = undefined;
    const need = this.batchLen + HEADER_BYTES + payload.byteLength;
    if (need > this.batch.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.batch.length * 2));
      this.batch.copy(bigger, 0, 0, this.batchLen);
      this.batch = bigger;
    }
    this.batchLen += writeRecord(this.batch, this.batchLen, payload);
    this.seq++;
    if (!this.scheduled && !this.writing) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
    return this.seq;
  }

  onDurable(seq: number, cb: (err?: Error) => void): void {
    if (this.fatal && seq > this.durableSeq) cb(this.fatal);
    else this.waiters.add(seq, cb);
  }

  onFsyncLatency(cb: (ms: number) => void): void {
    this.fsyncListeners.push(cb);
  }

  onFatal(cb: (err: Error) => void): void {
    this.fatalListeners.push(cb);
  }

  /**
   * The live core's state, for compaction: a snapshot written from it costs the pause of
   * taking it (`weight`, the core's snapshotWeight()) and a few milliseconds a turn to encode,
   * where replaying the log costs the core's work for every record once more. Without a
   * provider, compaction replays.
   */
  setStateProvider(state: () => object, weight?: () => number): void {
    this.provider = { state, weight };
  }

  stats(): StoreStats {
    return {
      mode: this.mode,
      appended: this.seq,
      durableSeq: this.durableSeq,
      fsyncs: this.s.fsyncs,
      lastFsyncMs: this.s.lastFsyncMs,
      bytesWritten: this.s.bytesWritten,
      segments: listDataFiles(this.dir).segments.length,
      compactions: this.s.compactions,
    };
  }

  /** Write the current batch and fsync it; the next batch forms meanwhile. */
  private flush(): void {
    this.scheduled = false;
    if (this.writing || this.batchLen === 0 || this.fatal || this.fd < 0) return;
    this.writing = true;
    const data = this.batch;
    const len = this.batchLen;
    const upto = this.seq;
    const position = this.segmentBytes;
    // Swap buffers: appends continue into the spare while `data` is being written.
    this.batch = this.spare;
    this.batchLen = 0;
    this.spare = data;
    // Now the state holds exactly the records up to `upto`, all in `data`: the segment is
    // cut after it lands (afterBatch), before any later record is written.
    if (this.cut && this.cut.state === undefined) this.cut.state = this.provider!.state();
    this.writeAll(data, len, position, (err) => {
      if (err) {
        this.writeFailed(err, position, upto, len);
        return;
      }
      this.segmentBytes += len;
      this.bytesSinceSnapshot += len;
      this.s.bytesWritten += len;
      if (this.full) this.noteWritten(len);
      if (this.options.fsync === 'interval') {
        this.dirty = true;
        this.waiters.resolve(upto);
        this.afterBatch();
        return;
      }
      const t0 = performance.now();
      this.ops.fdatasync(this.fd, (syncErr) => {
        if (syncErr) {
          this.die(this.fsyncError(syncErr));
          return;
        }
        this.observeFsync(performance.now() - t0);
        this.waiters.resolve(upto);
        this.afterBatch();
      });
    });
  }

  /** write() may write less than asked (a filling disk); keep going until done or an error says why. */
  private writeAll(
    data: Buffer,
    len: number,
    position: number,
    cb: (err?: NodeJS.ErrnoException) => void,
    done = 0,
  ): void {
    this.ops.write(this.fd, data, done, len - done, position + done, (err, written) => {
      if (err) return cb(err);
      if (written === 0) return cb(new Error('write made no progress'));
      if (done + written < len) return this.writeAll(data, len, position, cb, done + written);
      cb();
    });
  }

  private afterBatch(): void {
    this.writing = false;
    if (this.cut?.state !== undefined) this.cutAndWrite(this.cut);
    if (this.compactWaiters.length) {
      const waiters = this.compactWaiters;
      this.compactWaiters = [];
      void this.startCompaction().then(() => waiters.forEach((w) => w()));
    }
    if (this.segmentBytes >= (this.options.segmentBytes ?? 64 * 1024 * 1024)) this.rotate();
    this.maybeCompact(false);
    if (this.batchLen > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }

  /**
   * A write failed. For lack of space (ENOSPC, EDQUOT) none of this batch is acknowledged:
   * cut the file back to its last good size, so the log never holds a half record that
   * later records follow, fail the batch's waiters (STORE_NO_SPACE), and carry on: the
   * next batch tries again, so the hub serves again as soon as space is freed, without a
   * restart. Everything acknowledged before stays, since it lies before `position`.
   * Any other write error is fatal, like a failed fsync: the file's state is unknown.
   */
  private writeFailed(
    err: NodeJS.ErrnoException,
    position: number,
    upto: number,
    len: number,
  ): void {
    if (!isNoSpace(err)) {
      this.die(
        new StoreError(
          StoreErrorCode.STORE_IO,
          `write to the write-ahead log ${this.segmentFile} failed (${err.message}); stopping: only a full disk is a write error the hub recovers from by itself`,
          { cause: err },
        ),
      );
      return;
    }
    const typed = new StoreError(
      StoreErrorCode.STORE_NO_SPACE,
      // Sent to clients as is: no paths in it (the log line has the file).
      "disk full: the hub's write-ahead log cannot grow until its operator frees space; retry later",
      { cause: err },
    );
    this.noteFull(len);
    // The batch's records are refused (and submits taken back): a state taken with them in it
    // is not the state of the log.
    this.giveUpCut();
    this.refusedBatch = true;
    this.ops.ftruncate(this.fd, position, (truncErr) => {
      if (truncErr) {
        this.die(
          new StoreError(
            StoreErrorCode.STORE_IO,
            `could not cut ${this.segmentFile} back to ${position} bytes after a failed write (${truncErr.message}); stopping so recovery can drop the torn tail`,
            { cause: truncErr },
          ),
        );
        return;
      }
      this.waiters.fail(upto, typed);
      this.afterBatch();
    });
  }

  /**
   * Say that the disk is full once, then at most every 10 s while it stays full. Small
   * records may still fit while large ones do not, so "space is back" means a write at
   * least as large as the smallest one that failed went through, not just any write.
   */
  private noteFull(len: number): void {
    const now = Date.now();
    if (!this.full) {
      const quiet = this.fullLoggedAt !== undefined && now - this.fullLoggedAt < 10_000;
      this.full = { since: now, batches: 1, smallestFailed: len };
      if (quiet) return;
      this.fullLoggedAt = now;
      this.options.logger?.error(
        { dir: this.dir, file: this.segmentFile },
        'disk full: the write-ahead log cannot grow; writes are refused with STORE_FULL until space is freed (nothing acknowledged is affected)',
      );
      return;
    }
    this.full.batches++;
    this.full.smallestFailed = Math.min(this.full.smallestFailed, len);
    if (now - this.fullLoggedAt! >= 10_000) {
      this.fullLoggedAt = now;
      this.options.logger?.error(
        { dir: this.dir, failedBatches: this.full.batches, sinceMs: now - this.full.since },
        'disk still full: writes are still refused',
      );
    }
  }

  private noteWritten(len: number): void {
    const full = this.full!;
    if (len < full.smallestFailed) return;
    this.full = undefined;
    this.fullLoggedAt = undefined;
    this.options.logger?.warn(
      { dir: this.dir, failedBatches: full.batches, fullForMs: Date.now() - full.since },
      'space is available again: the write-ahead log is accepting writes',
    );
  }

  private fsyncError(err: NodeJS.ErrnoException, file = this.segmentFile): StoreError {
    return new StoreError(
      StoreErrorCode.STORE_FSYNC_FAILED,
      `fsync of the write-ahead log ${file} failed (${err.message}); stopping without retrying, because after a failed fsync the kernel may have dropped data it had accepted. Check the disk (dmesg); the next start recovers every acknowledged record from the log`,
      { cause: err },
    );
  }

  private intervalFsync(): void {
    if (!this.dirty || this.fd < 0 || this.fatal) return;
    this.dirty = false;
    const t0 = performance.now();
    // close() waits for this: it must not close the fd under an fsync in flight, nor report
    // closed before that fsync (which it relies on) has returned.
    let synced!: () => void;
    this.intervalSyncing = new Promise<void>((resolve) => (synced = resolve));
    this.ops.fdatasync(this.fd, (err) => {
      this.intervalSyncing = undefined;
      synced();
      if (err) {
        this.die(this.fsyncError(err));
        return;
      }
      this.observeFsync(performance.now() - t0);
    });
  }

  private observeFsync(ms: number): void {
    this.s.fsyncs++;
    this.s.lastFsyncMs = ms;
    for (const l of this.fsyncListeners) l(ms);
  }

  private die(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    this.giveUpCut();
    this.waiters.failAll(err);
    for (const l of this.fatalListeners) l(err);
  }

  /**
   * Close the full segment (everything in it is already fsynced) and start the next. The
   * next file is opened first: if that fails (no inode left on a full disk), the hub keeps
   * appending to the current segment and tries again after the next batch.
   */
  private rotate(): boolean {
    let next: number;
    try {
      next = openSync(segmentPath(this.dir, this.segment + 1), 'a+', 0o600);
      fsyncDir(this.dir);
    } catch (err) {
      this.options.logger?.warn(
        { dir: this.dir, err: (err as Error).message },
        'could not start a new log segment; still appending to the current one',
      );
      return false;
    }
    this.retire(this.fd);
    this.fd = next;
    this.segment++;
    this.segmentBytes = 0;
    return true;
  }

  /**
   * Close a segment the log has moved past. With fsync `always` every byte of it is synced
   * already. With `interval`, its last writes may not be, and an interval fsync may still be
   * running on it: closing it then would leave those bytes to the page cache (a power cut
   * would tear a segment in the middle of the log, which recovery refuses as corruption) and
   * fail that fsync with EBADF, which stops the hub. So it is synced once any fsync on it
   * has returned, and closed after.
   */
  private retire(fd: number): void {
    if (this.options.fsync !== 'interval') {
      closeSync(fd);
      return;
    }
    // The next segment starts with nothing to sync.
    this.dirty = false;
    const file = this.segmentFile;
    this.retiring = Promise.all([this.retiring, this.intervalSyncing]).then(
      () =>
        new Promise<void>((resolve) => {
          const t0 = performance.now();
          this.ops.fdatasync(fd, (err) => {
            closeSync(fd);
            if (err) this.die(this.fsyncError(err, file));
            else this.observeFsync(performance.now() - t0);
            resolve();
          });
        }),
    );
  }

  /**
   * Fold the closed segments into a new snapshot once enough log has accumulated: from the
   * live state while it is cheap to take (startLiveCompaction), else by replaying them
   * through the pure core in a worker thread, where the main thread only rotates the
   * segment, so the hub does not pause however many tasks it holds (docs/architecture.md).
   */
  private maybeCompact(onTimer: boolean): void {
    if (this.compacting || this.closed || this.fatal) return;
    const threshold = this.options.compactAfterBytes ?? 256 * 1024 * 1024;
    if (
      this.bytesSinceSnapshot < threshold &&
      !(
        onTimer &&
        this.bytesSinceSnapshot > 0 &&
        this.segmentBytes > 0 &&
        this.bytesSinceSnapshot >= threshold / 16
      )
    )
      return;
    void this.compactNow();
  }

  /** Compact now (tests, benchmarks, and the thresholds above). Resolves when done. */
  compactNow(): Promise<void> {
    if (this.compacting) return this.compacting;
    if (this.writing) {
      // Rotate only between batches, so the closed segment holds whole batches: afterBatch
      // starts it as soon as the write in flight lands.
      return new Promise((resolve) => this.compactWaiters.push(resolve));
    }
    return this.startCompaction();
  }

  private startCompaction(): Promise<void> {
    // Closed (or never opened): no segment to rotate, and the lock is gone, so the data dir
    // may already belong to another store whose files a compaction here would delete.
    if (this.fd < 0) return Promise.resolve();
    if (this.liveFits()) return this.startLiveCompaction();
    if (this.segmentBytes > 0 && !this.rotate()) return Promise.resolve();
    const upTo = this.segment; // first segment NOT included
    const files = listDataFiles(this.dir);
    const base = files.snapshots.length ? files.snapshots[files.snapshots.length - 1]! : undefined;
    const segments = files.segments.filter((s) => s < upTo && (base === undefined || s >= base));
    if (segments.length === 0) return Promise.resolve();
    this.bytesSinceSnapshot = 0;
    const t0 = performance.now();
    this.compacting = runCompaction({
      dir: this.dir,
      baseSnapshot: base,
      segments,
      coversSegment: upTo,
      replayer: this.options.replayer,
      replayOptions: this.options.replayOptions,
    })
      .then((result) => {
        this.dropCovered(files.snapshots, segments, upTo);
        this.options.logger?.info(
          {
            from: 'replay',
            records: result.records,
            tasks: result.tasks,
            segments: segments.length,
            ms: Math.round(performance.now() - t0),
          },
          'compacted the write-ahead log into a snapshot',
        );
      })
      .catch((err: unknown) => this.compactionFailed(err))
      .finally(() => {
        this.compacting = undefined;
      });
    return this.compacting;
  }

  private liveFits(): boolean {
    if (!this.provider || this.closed || this.refusedBatch) return false;
    const max = this.options.liveCompactionMaxWeight ?? LIVE_COMPACTION_MAX_WEIGHT;
    return max >= 0 && (this.provider.weight?.() ?? 0) <= max;
  }

  /**
   * Compaction from the live state. Called with no write in flight: when every record is
   * written already, the state is taken now; otherwise when flush() sends the batch that
   * holds the last of them.
   */
  private startLiveCompaction(): Promise<void> {
    let done!: () => void;
    this.compacting = new Promise<void>((resolve) => (done = resolve)).finally(() => {
      this.compacting = undefined;
    });
    const cut: Cut = { t0: performance.now(), done };
    this.cut = cut;
    this.bytesSinceSnapshot = 0;
    if (this.batchLen === 0) {
      cut.state = this.provider!.state();
      this.cutAndWrite(cut);
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
    return this.compacting;
  }

  /** Close the segment the state covers, then write the state as the snapshot that replaces the log. */
  private cutAndWrite(cut: Cut): void {
    this.cut = undefined;
    const state = cut.state!;
    if (this.segmentBytes > 0 && !this.rotate()) {
      cut.done();
      return;
    }
    const upTo = this.segment; // first segment NOT covered
    const files = listDataFiles(this.dir);
    const segments = files.segments.filter((s) => s < upTo);
    if (segments.length === 0) {
      cut.done();
      return;
    }
    writeSnapshotFileInSlices(this.dir, { coversSegment: upTo, createdAt: Date.now(), state })
      .then(() => {
        this.dropCovered(files.snapshots, segments, upTo);
        this.options.logger?.info(
          {
            from: 'state',
            segments: segments.length,
            ms: Math.round(performance.now() - cut.t0),
          },
          'compacted the write-ahead log into a snapshot',
        );
      })
      .catch((err: unknown) => this.compactionFailed(err))
      .finally(cut.done);
  }

  private giveUpCut(): void {
    const cut = this.cut;
    this.cut = undefined;
    cut?.done();
  }

  /** The new snapshot is on disk (fsynced, renamed, dir fsynced): the files it covers can go. */
  private dropCovered(snapshots: number[], segments: number[], upTo: number): void {
    for (const s of segments) unlinkSync(segmentPath(this.dir, s));
    for (const snap of snapshots)
      if (snap < upTo) unlinkSync(path.join(this.dir, snapshotName(snap)));
    fsyncDir(this.dir);
    this.s.compactions++;
  }

  private compactionFailed(err: unknown): void {
    this.options.logger?.error(
      { err: (err as Error).message },
      'compaction failed; the log is kept as it is and compaction will be tried again',
    );
  }

  async close(): Promise<void> {
    // A second close still waits for a compaction the first one waited for: whoever removes
    // the data dir after close() must not pull it from under the compaction thread.
    if (this.closed) return this.compacting;
    this.closed = true;
    clearInterval(this.fsyncTimer);
    clearInterval(this.compactTimer);
    // A compaction still waiting for its batch is not worth a cut now: the log is whole.
    if (this.cut?.state === undefined) this.giveUpCut();
    if (this.seq > this.durableSeq && !this.fatal) {
      if (!this.writing && !this.scheduled) this.flush();
      await new Promise<void>((resolve) => this.onDurable(this.seq, () => resolve()));
    }
    await this.intervalSyncing;
    await this.retiring;
    if (this.dirty && this.fd >= 0 && !this.fatal) {
      await new Promise<void>((resolve) =>
        this.ops.fdatasync(this.fd, (err) => {
          if (err)
            this.options.logger?.error({ file: this.segmentFile }, this.fsyncError(err).message);
          resolve();
        }),
      );
    }
    await this.compacting;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.unlock?.();
  }
}
