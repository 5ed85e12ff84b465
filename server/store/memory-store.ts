import { storeClosedError } from './errors.js';
import type { Recovered, Store, StoreStats } from './store.js';

/** Nothing on disk: every record is durable at once (development preset, tests, benchmarks). */
export class MemoryStore implements Store {
  readonly mode = 'memory' as const;
  private seq = 0;
  private closed = false;

  get durableSeq(): number {
    return this.seq;
  }

  async open(): Promise<Recovered> {
    return {
      snapshot: undefined,
      records: [],
      stats: {
        snapshot: false,
        walRecords: 0,
        segments: 0,
        droppedTailBytes: 0,
        droppedTailRecords: 0,
        ms: 0,
      },
    };
  }

  append(_record: object): number {
    if (this.closed) throw storeClosedError(this.mode);
    return ++this.seq;
  }

  onDurable(_seq: number, cb: (err?: Error) => void): void {
    cb();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  stats(): StoreStats {
    return {
      mode: this.mode,
      appended: this.seq,
      durableSeq: this.seq,
      fsyncs: 0,
      lastFsyncMs: 0,
      bytesWritten: 0,
      segments: 0,
      compactions: 0,
    };
  }

  onFsyncLatency(): void {}
  onFatal(): void {}
}
