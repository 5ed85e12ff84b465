import type { Core } from './hub-core.js';
import type { NodeCommandRecord, NodeRecord } from './node-records.js';
import type { BackoffSpec } from '../../protocol/index.js';
import type { TaskRecord } from './records.js';
import type { RevocationsSnapshot } from './revocations.js';

/**
 * A core's durable state as one plain object. Workers are not in it: they are volatile and
 * reconnect after a restart. Queue order is kept explicitly (`queued`), because a task put
 * back at the front of its queue is not where its seq alone would place it.
 */
/**
 * A task as written to disk: the record with its options inline. The file format predates
 * the shared options object and stays flat, so snapshots from any version read the same.
 */
export interface SnapshotTask extends Omit<TaskRecord, 'options' | 'ord'> {
  maxAttempts: number;
  backoff: BackoffSpec;
  timeoutMs: number;
  resultTtlMs: number;
  requires: readonly string[] | undefined;
  idempotencyKey: string | undefined;
}

export interface CoreSnapshot {
  v: 1;
  nextSeq: number;
  tasks: SnapshotTask[];
  /** Ids of queued tasks, in dispatch order within each sub-queue. */
  queued: string[];
  paused: string[];
  nodes?: NodeRecord[];
  nodeCommands?: NodeCommandRecord[];
  /** Absent in snapshots written before token revocation existed. */
  revocations?: RevocationsSnapshot;
}

export function takeSnapshot(core: Core): CoreSnapshot {
  const tasks: SnapshotTask[] = [];
  for (const task of core.tasks.values()) {
    // Copy so later mutation of the live record cannot change a snapshot being written.
    const { options, ord: _ord, ...rest } = task;
    tasks.push({ ...rest, ...options, submitter: undefined });
  }
  const queued: string[] = [];
  const paused: string[] = [];
  for (const queue of core.queues.values()) {
    for (const task of queue.queuedInOrder()) queued.push(task.id);
    if (queue.paused) paused.push(queue.name);
  }
  const nodes = [...core.nodes.nodes.values()].map((n) => ({ ...n }));
  const nodeCommands = [...core.nodes.commands.values()].map((c) => ({ ...c }));
  const revocations = core.revocations.snapshot();
  return {
    v: 1,
    nextSeq: core.getNextSeq(),
    tasks,
    queued,
    paused,
    nodes,
    nodeCommands,
    revocations,
  };
}

export function restoreSnapshot(core: Core, snap: CoreSnapshot): void {
  if (!snap || snap.v !== 1) throw new Error(`unsupported snapshot version ${String(snap?.v)}`);
  for (const raw of snap.tasks) core.adoptTask(fromSnapshotTask(core, raw));
  for (const id of snap.queued) {
    const task = core.tasks.get(id);
    if (task && task.state === 'queued') core.queue(task.queue).push(task);
  }
  for (const name of snap.paused) core.queue(name).paused = true;
  core.nodes.restore(snap.nodes ?? [], snap.nodeCommands ?? []);
  core.revocations.restore(snap.revocations);
  core.setNextSeq(snap.nextSeq);
}

/** Field for field in the order createTask uses, so restored records share its shape. */
function fromSnapshotTask(core: Core, raw: SnapshotTask): TaskRecord {
  return {
    id: raw.id,
    seq: raw.seq,
    ord: 0,
    gen: 0,
    queue: raw.queue,
    priority: raw.priority,
    payload: raw.payload,
    state: raw.state,
    attempt: raw.attempt,
    options: core.taskOptions.intern({
      maxAttempts: raw.maxAttempts,
      backoff: raw.backoff,
      timeoutMs: raw.timeoutMs,
      resultTtlMs: raw.resultTtlMs,
      requires: raw.requires && raw.requires.length ? raw.requires : undefined,
      idempotencyKey: raw.idempotencyKey ?? undefined,
    }),
    expiresAt: raw.expiresAt,
    runAt: raw.runAt,
    createdAt: raw.createdAt,
    startedAt: raw.startedAt,
    finishedAt: raw.finishedAt,
    workerId: raw.workerId ?? undefined,
    submitter: undefined,
    result: raw.result,
    error: raw.error ?? undefined,
    progress: raw.progress,
  };
}
