import { FrameType, priorityName, type ResultFrame, type TaskFrame } from '../../protocol/index.js';
import type { TaskRecord, WorkerKind, WorkerRecord } from '../core/index.js';

/** The assignment frame pushed to a worker. */
export function toTaskFrame(task: TaskRecord): TaskFrame {
  return {
    t: FrameType.task,
    taskId: task.id,
    queue: task.queue,
    payload: task.payload,
    attempt: task.attempt,
    maxAttempts: task.options.maxAttempts,
    priority: priorityName(task.priority),
    timeoutMs: task.options.timeoutMs,
    createdAt: task.createdAt,
  };
}

export type TerminalStatus = ResultFrame['status'];

export { isTerminal } from '../core/index.js';
export type { TaskJson, WorkerJson } from '../../protocol/index.js';
import type { TaskJson, WorkerJson } from '../../protocol/index.js';

/** The result frame sent to the producer once a task is final. */
export function toResultFrame(task: TaskRecord): ResultFrame {
  const frame: ResultFrame = {
    t: FrameType.result,
    taskId: task.id,
    status: task.state as TerminalStatus,
    attempts: task.attempt,
  };
  if (task.state === 'completed') frame.result = task.result;
  else if (task.error) {
    frame.error = { code: task.error.code, message: task.error.message };
    if (task.error.details !== undefined) frame.error.details = task.error.details;
  }
  return frame;
}

export function toTaskJson(task: TaskRecord, withPayload = true): TaskJson {
  return {
    id: task.id,
    queue: task.queue,
    state: task.state,
    priority: priorityName(task.priority),
    payload: withPayload ? (task.payload ?? null) : undefined,
    attempt: task.attempt,
    maxAttempts: task.options.maxAttempts,
    timeoutMs: task.options.timeoutMs,
    runAt: task.runAt,
    expiresAt: task.expiresAt || null,
    requires: [...(task.options.requires ?? [])],
    idempotencyKey: task.options.idempotencyKey ?? null,
    createdAt: task.createdAt,
    startedAt: task.startedAt || null,
    finishedAt: task.finishedAt || null,
    workerId: task.workerId ?? null,
    progress: task.progress ?? null,
    result: task.state === 'completed' ? (task.result ?? null) : null,
    error: task.error ?? null,
  };
}

/** The REST API names a worker's kind by its transport, as it always has. */
const WIRE_KIND: Record<WorkerKind, 'ws' | 'http'> = { push: 'ws', pull: 'http' };

export function toWorkerJson(worker: WorkerRecord): WorkerJson {
  return {
    id: worker.id,
    name: worker.name ?? null,
    kind: WIRE_KIND[worker.kind],
    state: worker.state,
    busy: worker.running.size > 0,
    queues: worker.queues,
    capabilities: [...worker.capabilities],
    concurrency: worker.concurrency,
    running: [...worker.running],
    connectedAt: worker.connectedAt,
    lastSeen: worker.lastSeen,
    completed: worker.completed,
    failed: worker.failed,
  };
}
