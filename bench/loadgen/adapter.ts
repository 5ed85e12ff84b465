/**
 * The one seam between the load-generator drivers (throughput.ts, latency.ts) and a system
 * under test. Producer and workers of every system live in the SAME load-generator process,
 * so one monotonic clock (performance.now()) stamps submit, handler start and result seen;
 * the broker or hub runs in another process.
 */

/** The payload of every benchmark task. Workers return it unchanged as the task's result. */
export interface TaskPayload {
  /** Sequence number, 0-based, unique within one load-generator run. */
  readonly i: number;
  /** performance.now() in the load generator when the task was submitted. */
  readonly t: number;
}

/** Called by the adapter; implemented by the driver. */
export interface LoadHooks {
  /** A worker's handler starts task `p`: call synchronously at handler entry. */
  handlerStarted(p: TaskPayload): void;
  /** The producer has received the result of `p` (the payload as echoed by the worker). */
  resultSeen(p: TaskPayload): void;
}

export interface LoadShape {
  readonly workers: number;
  /** Tasks each worker may hold at once. */
  readonly concurrency: number;
  /** Tasks the run will submit in total (to size event streams and the like). */
  readonly expectedTasks: number;
}

export interface LoadAdapter {
  /** System id as it appears in results, e.g. 'bullmq', 'jetstream-file', 'bare-uws'. */
  readonly system: string;
  /**
   * Connect the producer and `shape.workers` workers, each processing up to
   * `shape.concurrency` no-op tasks at once (the handler calls hooks.handlerStarted and
   * returns its payload). Resolves when all are ready to receive. Throws SkipError (from
   * lib/child-main.ts) when the peer is unreachable or lacks a feature.
   */
  start(hooks: LoadHooks, shape: LoadShape): Promise<void>;
  /** Submit a batch; resolves when the system has accepted all of it (its ack). */
  submit(batch: readonly TaskPayload[]): Promise<void>;
  /** Close clients and delete everything the run created (queues, streams). */
  stop(): Promise<void>;
  /** Versions and settings worth reporting, e.g. { server: 'redis 7.0.15' }. */
  describe(): Promise<Record<string, string>>;
}
