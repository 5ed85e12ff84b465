import { ErrorCode } from '../../protocol/index.js';
import { fail, OK, type CommandResult } from './command-result.js';
import type { CoreState } from './core-state.js';
import { dispatchQueue } from './dispatch.js';
import { dropTask } from './task-retention.js';

/** Operator commands on a queue as a whole. */

/** Pause or resume a queue: a paused queue keeps its tasks and hands none out. */
export function setPaused(s: CoreState, name: string, paused: boolean, now: number): CommandResult {
  const queue = s.queue(name);
  if (queue.paused === paused) return OK;
  queue.paused = paused;
  s.emit({ type: paused ? 'queue.paused' : 'queue.resumed', queue: name });
  if (!paused) dispatchQueue(s, queue, now);
  return OK;
}

/** Drop every dead task of a queue. */
export function purgeDead(s: CoreState, name: string): CommandResult {
  const queue = s.queues.get(name);
  if (!queue) return fail(ErrorCode.QUEUE_NOT_FOUND, `no queue ${name}`);
  const count = queue.dead.size;
  for (const id of queue.dead) {
    const task = s.tasks.get(id);
    if (task) dropTask(s, task);
  }
  queue.dead.clear();
  s.emit({ type: 'queue.purged', queue: name, count });
  return { ok: true, count };
}
