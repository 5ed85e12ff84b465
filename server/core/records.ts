import type { BackoffSpec, PriorityLevel, TaskStateName } from '../../protocol/index.js';

/** Why a task failed or ended, as kept on the task and shown to producers. */
export interface TaskFailure {
  code: string;
  message: string;
  details?: unknown;
}

/**
 * A task's submit-time options. Kept apart from the record because most tasks take every
 * default: they all point at one object, which saves six fields (48 B) on each of a million
 * queued tasks. Never mutated; a task that needs different options gets its own object.
 */
export interface TaskOptions {
  readonly maxAttempts: number;
  readonly backoff: BackoffSpec;
  /** One attempt may run this long; 0 = no limit. */
  readonly timeoutMs: number;
  readonly resultTtlMs: number;
  /** Sorted capability names a worker must offer; undefined = none. */
  readonly requires: readonly string[] | undefined;
  readonly idempotencyKey: string | undefined;
}

/**
 * One task. A plain object (no Sets, no classes) so a snapshot is just the list of them.
 * Times are Unix ms as passed in by the caller; 0 means "not set".
 */
export interface TaskRecord {
  id: string;
  /** Position within its priority level: lower runs first. */
  seq: number;
  /** Creation order within this process, set by TaskTable (seq changes on retries and
   * promotions; this never does). Not persisted: a restore re-creates it in order. */
  ord: number;
  /** Bumped each time the task enters a queue; see QueueState. */
  gen: number;
  queue: string;
  priority: PriorityLevel;
  payload: unknown;
  state: TaskStateName;
  /** Attempts started so far; the current lease is attempt number `attempt`. */
  attempt: number;
  /** What the submitter asked for; immutable, and one shared object for all default tasks. */
  options: TaskOptions;
  /** The task expires if still unstarted at this time (0 = never). */
  expiresAt: number;
  runAt: number;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  workerId: string | undefined;
  /** Session that submitted it; volatile, used to push the result back. */
  submitter: string | undefined;
  result: unknown;
  error: TaskFailure | undefined;
  progress: unknown;
}

export const WorkerState = {
  active: 'active',
  draining: 'draining',
  disconnected: 'disconnected',
} as const;
export type WorkerStateName = (typeof WorkerState)[keyof typeof WorkerState];

/**
 * How a worker gets tasks: `push` workers are handed them as tasks and free slots appear
 * (today: WebSocket sessions); `pull` workers lease them when they ask (today: HTTP).
 */
export type WorkerKind = 'push' | 'pull';

/** A connected (or briefly disconnected) worker. Volatile: never persisted. */
export interface WorkerRecord {
  id: string;
  name: string | undefined;
  kind: WorkerKind;
  /** The identity that registered this worker id (see RegisterWorkerCommand.owner). */
  owner: string | undefined;
  session: string | undefined;
  queues: string[];
  capabilities: ReadonlySet<string>;
  concurrency: number;
  running: Set<string>;
  state: WorkerStateName;
  connectedAt: number;
  lastSeen: number;
  disconnectedAt: number;
  /** Bumped on every (re)connect so a stale grace timer does nothing. */
  epoch: number;
  heartbeatTimeoutMs: number;
  completed: number;
  failed: number;
}
