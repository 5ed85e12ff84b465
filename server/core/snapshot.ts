import type { Core } from './hub-core.js';
import type { NodeCommandRecord, NodeRecord } from './node-records.js';
import type { TaskRecord } from './records.js';

/**
 * A core's durable state as one plain object. Workers are not in it: they are volatile and
 * reconnect after a restart. Queue order is kept explicitly (`queued`), because a task put
 * back at the front of its queue is not where its seq alone would place it.
 */
export interface CoreSnapshot {
  v: 1;
  nextSeq: number;
  tasks: TaskRecord[];
  /** Ids of queued tasks, in dispatch order within each sub-queue. */
  queued: string[];
  paused: string[];
  nodes?: NodeRecord[];
  nodeCommands?: NodeCommandRecord[];
}

export function takeSnapshot(core: Core): CoreSnapshot {
  const tasks: TaskRecord[] = [];
  for (const task of core.tasks.values()) {
    // Copy so later mutation of the live record cannot change a snapshot being written.
    tasks.push({ ...task, submitter: undefined });
  }
  const queued: string[] = [];
  const paused: string[] = [];
  for (const queue of core.queues.values()) {
    for (const task of queue.queuedInOrder()) queued.push(task.id);
    if (queue.paused) paused.push(queue.name);
  }
  const nodes = [...core.nodes.nodes.values()].map((n) => ({ ...n }));
  const nodeCommands = [...core.nodes.commands.values()].map((c) => ({ ...c }));
  return { v: 1, nextSeq: core.getNextSeq(), tasks, queued, paused, nodes, nodeCommands };
}

export function restoreSnapshot(core: Core, snap: CoreSnapshot): void {
  if (!snap || snap.v !== 1) throw new Error(`unsupported snapshot version ${String(snap?.v)}`);
  for (const raw of snap.tasks) {
    const task: TaskRecord = { ...raw, gen: 0, submitter: undefined };
    core.adoptTask(task);
  }
  for (const id of snap.queued) {
    const task = core.tasks.get(id);
    if (task && task.state === 'queued') core.queue(task.queue).push(task);
  }
  for (const name of snap.paused) core.queue(name).paused = true;
  core.nodes.restore(snap.nodes ?? [], snap.nodeCommands ?? []);
  core.setNextSeq(snap.nextSeq);
}
