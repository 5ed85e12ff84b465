import { ErrorCode, FlowPolicy } from '../../protocol/index.js';
import { fail, type CommandResult } from './command-result.js';
import type { FlowSubmitCommand } from './commands.js';
import type { CoreState } from './core-state.js';
import { dispatchQueue } from './dispatch.js';
import type { FlowParentRecord } from './flow-state.js';
import type { QueueState } from './queue-state.js';
import { createTask, enqueueNew } from './task-submit.js';

/**
 * Submit a flow: every task of the tree is created in one step, or none is. Leaves are
 * queued (or delayed) at once; a task with children waits in `waiting-children`, in no
 * queue, until settleFlows (task-lifecycle.ts) releases or fails it. An idempotency key on
 * the root that names a task still held makes the whole flow a duplicate: nothing is created.
 */
export function submitFlow(s: CoreState, cmd: FlowSubmitCommand): CommandResult {
  const entries = cmd.tasks;
  if (entries.length === 0) return fail(ErrorCode.INVALID_FRAME, 'a flow needs a root task');
  const childCount = new Array<number>(entries.length).fill(0);
  const ids = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    const { id, parent } = entries[i]!;
    if (s.tasks.has(id) || ids.has(id))
      return fail(ErrorCode.CONFLICT, `task id ${id} already exists`);
    ids.add(id);
    if (i === 0 ? parent !== undefined : parent === undefined || parent < 0 || parent >= i)
      return fail(ErrorCode.INVALID_FRAME, `flow task ${i} names no earlier parent`);
    if (parent !== undefined) childCount[parent]!++;
  }
  const root = entries[0]!.spec;
  if (root.idempotencyKey !== undefined) {
    const existing = s.idempotent(root.queue, root.idempotencyKey);
    if (existing !== undefined) return { ok: true, taskIds: [existing], duplicates: [0] };
  }
  const parents: (FlowParentRecord | undefined)[] = [];
  const touched = new Set<QueueState>();
  const taskIds: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const { id, spec, parent, name, policy } = entries[i]!;
    const queue = s.queue(spec.queue);
    const task = createTask(s, id, spec, queue, cmd.now, cmd.submitter);
    taskIds.push(id);
    if (childCount[i]! > 0) {
      // Its TTL counts from its release: a parent cannot be started before that anyway.
      task.expiresAt = 0;
      task.state = 'waiting-children';
      queue.waiting++;
      const rec: FlowParentRecord = {
        id,
        policy: policy ?? FlowPolicy.fail,
        ttlMs: spec.ttlMs ?? 0,
        pending: 0,
        children: [],
      };
      s.flows.addParent(rec);
      parents[i] = rec;
    } else {
      enqueueNew(s, task, queue, cmd.now);
      touched.add(queue);
    }
    if (parent !== undefined)
      s.flows.addChild(parents[parent]!, {
        id,
        name,
        queue: queue.name,
        state: undefined,
        result: undefined,
        error: undefined,
      });
  }
  for (const queue of touched) dispatchQueue(s, queue, cmd.now);
  return { ok: true, taskIds, duplicates: [] };
}
