import { Worker } from 'node:worker_threads';
import type { RedisOptions } from 'ioredis';
import type { SnapshotMeta } from './redis-snapshot.js';

/** What the compaction thread is given: all of it plain data (structured clone). */
export interface RedisCompactionJob {
  /** Where Redis is (plainRedisTarget): the thread opens a connection of its own. */
  redis: string | RedisOptions;
  prefix: string;
  /** For the thread's connection name (CLIENT LIST). */
  hubId: string;
  /** The leader's fencing epoch: every write of the thread is checked against it. */
  epoch: number;
  /** The new snapshot includes every record up to this log sequence number (durable ones). */
  covers: number;
  chunkBytes: number;
  /** The live core's options, so replay decides exactly as the live core did. */
  replayOptions?: object | undefined;
}

export interface RedisCompactionResult {
  /** The snapshot now current; undefined when the current one already covered `covers`. */
  meta: SnapshotMeta | undefined;
  /** Log records replayed onto the previous snapshot, and the log entries they came in. */
  records: number;
  entries: number;
  tasks: number;
  /** Time in the thread: reading, replaying, encoding, writing. */
  ms: { read: number; replay: number; encode: number; write: number };
}

export interface RunningCompaction {
  readonly done: Promise<RedisCompactionResult>;
  /** Stop the thread now (close() timed out); `done` then rejects. */
  stop(): Promise<void>;
}

type Reply = { id: number } & (
  { ok: true; result: RedisCompactionResult } | { ok: false; error: string }
);

/** How long an idle compaction thread is kept for the next job. */
const IDLE_MS = 30_000;

/**
 * One compaction thread per process, started on the first job and kept while jobs come
 * (it exits after IDLE_MS without one). Jobs run one at a time, in order. Starting a thread
 * is cheap in production, but where sources are compiled on load (the tests) it takes
 * seconds; kept, that is paid once.
 */
class CompactionThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: RedisCompactionResult) => void; reject: (err: Error) => void }
  >();
  private idle: NodeJS.Timeout | undefined;

  run(job: RedisCompactionJob): RunningCompaction {
    const worker = this.start();
    const id = this.nextId++;
    clearTimeout(this.idle);
    worker.ref();
    const done = new Promise<RedisCompactionResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
    });
    worker.postMessage({ id, job });
    return { done, stop: () => this.stopWorker(worker) };
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // Same extension as this module: .js from dist, .ts when tests run the sources.
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const worker = new Worker(new URL(`./redis-compactor-worker${ext}`, import.meta.url));
    this.worker = worker;
    worker.on('message', (msg: Reply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
      if (this.pending.size === 0 && this.worker === worker) {
        worker.unref();
        this.idle = setTimeout(() => void this.stopWorker(worker), IDLE_MS);
        this.idle.unref();
      }
    });
    const gone = (err: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      clearTimeout(this.idle);
      const pending = [...this.pending.values()];
      this.pending.clear();
      for (const p of pending) p.reject(err);
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`compaction thread exited with code ${code}`)));
    return worker;
  }

  private async stopWorker(worker: Worker): Promise<void> {
    if (this.worker !== worker) return;
    await worker.terminate();
  }

  /**
   * End the thread the way it would end by itself: it finishes the job it runs, closes its
   * port and exits (a terminated thread writes nothing it was asked to flush, coverage data
   * included). Terminated if it has not exited within `ms`.
   */
  async shutdown(ms = 3000): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    clearTimeout(this.idle);
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ stop: true });
    const timer = setTimeout(() => void worker.terminate(), ms);
    await exited;
    clearTimeout(timer);
  }
}

const thread = new CompactionThread();

/** Run one compaction of the Redis engine's log in the compaction thread (redis-compactor-worker.ts). */
export function startRedisCompaction(job: RedisCompactionJob): RunningCompaction {
  return thread.run(job);
}

/** At process stop (and by tests that own the process): let the compaction thread exit. */
export function stopCompactionThread(): Promise<void> {
  return thread.shutdown();
}
