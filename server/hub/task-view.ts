import {
  FrameType,
  priorityName,
  type FlowChild,
  type ResultFrame,
  type TaskFrame,
} from '../../protocol/index.js';
import type { TaskRecord, WorkerKind, WorkerRecord } from '../core/index.js';

/** The assignment frame pushed to a worker (a flow's parent: with its children's outcomes). */
export function toTaskFrame(task: TaskRecord, children?: FlowChild[]): TaskFrame {
  const frame: TaskFrame = {
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
  if (children) frame.children = children;
  return frame;
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

/** A task's place in a flow (gateway.flows.links). */
export interface TaskFlowLinks {
  parentId: string | undefined;
  children: FlowChild[] | undefined;
}

export function toTaskJson(task: TaskRecord, withPayload = true, flow?: TaskFlowLinks): TaskJson {
  const json: TaskJson = {
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
  if (flow?.parentId !== undefined) json.parentId = flow.parentId;
  if (flow?.children !== undefined) json.children = flow.children;
  return json;
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
