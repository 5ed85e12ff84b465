import { ErrorCode } from '../../protocol/index.js';
import { fail, OK, type CommandResult } from './command-result.js';
import type { CoreState } from './core-state.js';
import { dispatchQueue } from './dispatch.js';
import { isUnlimited, QueueLimits, type QueueLimitSpec } from './queue-limits.js';
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

/**
 * Set a queue's limits (docs/rate-limits.md), replacing what it had. Starts already logged
 * still count against a new rate (they happened); the running counts per group are taken
 * again from the leased tasks, since a new key sorts them into other groups. Looser limits
 * may let waiting tasks start at once.
 */
export function setLimits(
  s: CoreState,
  name: string,
  spec: QueueLimitSpec,
  now: number,
): CommandResult {
  const queue = s.queue(name);
  const before = queue.limits;
  const limits = isUnlimited(spec) ? undefined : new QueueLimits(spec);
  if (limits && before) for (const at of before.startTimes()) limits.logStart(at);
  if (limits?.groupKey !== undefined) {
    for (const task of s.tasks.values()) {
      if (task.state === 'leased' && task.queue === name) limits.adoptLeased(task);
    }
  }
  queue.setLimits(limits);
  s.emit({ type: 'queue.limited', queue: name, limits: spec });
  dispatchQueue(s, queue, now);
  return OK;
}
