import type { CommandResult } from './command-result.js';
import type { CoreState } from './core-state.js';
import { FinishedTasks } from './finished-tasks.js';
import type { TaskRecord } from './records.js';

/**
 * How long tasks stay after they end: finished ones for their resultTtlMs and never more
 * than maxFinishedTasks at once (then evicted, each an event); dead ones until an operator
 * retries or purges them (queue-controls.ts).
 */

/** Evict the kept finished task that expires first, if it expires by `limit`. */
export function evictNext(s: CoreState, limit = Infinity): boolean {
  const task = s.finished.next(s.tasks, limit);
  if (!task) return false;
  dropTask(s, task);
  s.emit({ type: 'task.evicted', taskId: task.id, queue: task.queue });
  return true;
}

/** Evict until the finished tasks are within their bound. */
export function evictOverLimit(s: CoreState): void {
  while (s.finished.overLimit && evictNext(s));
}

/** `gc`: evict every finished task whose retention has passed by `now`. */
export function gc(s: CoreState, now: number): CommandResult {
  let count = 0;
  while (evictNext(s, now)) count++;
  return { ok: true, count };
}

/** Forget a task entirely (its queue entry, if any, must already be stale). */
export function dropTask(s: CoreState, task: TaskRecord): void {
  if (s.tasks.delete(task.id) && FinishedTasks.isKept(task)) s.finished.removed();
  s.forgetIdempotency(task);
  s.flows.forget(task.id);
  s.attempts.forget(task.id);
}
