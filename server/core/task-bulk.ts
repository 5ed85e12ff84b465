import type { CommandResult } from './command-result.js';
import type { TaskBulkCommand } from './commands.js';
import type { CoreState } from './core-state.js';
import { cancel, isTerminal, retry } from './task-lifecycle.js';
import { dropTask } from './task-retention.js';

/** The most tasks one `task.bulk` names: the cap of one bulk call (docs/dead-letters.md). */
export const MAX_BULK_TASKS = 10_000;

/**
 * One bulk action over tasks the gateway chose (by a filter, at the moment it issued the
 * command): all of it in one step and one journal record, so a replay does exactly the same
 * and nothing runs between two of its tasks. A task that is gone, of another queue or no
 * longer in a state the action takes is passed over, not an error: `count` says how many
 * were acted on. Purge removes finished tasks only (dead, completed, expired, cancelled): an
 * unfinished one must be cancelled first. A purged child of a flow leaves its outcome with
 * its parent, as an evicted one does.
 */
export function applyBulk(s: CoreState, cmd: TaskBulkCommand): CommandResult {
  let count = 0;
  const queue = s.queues.get(cmd.queue);
  for (const taskId of cmd.taskIds) {
    const task = s.tasks.get(taskId);
    if (!task || task.queue !== cmd.queue) continue;
    if (cmd.action === 'cancel') {
      const c = { type: 'task.cancel' as const, now: cmd.now, taskId };
      if (cancel(s, cmd.reason === undefined ? c : { ...c, reason: cmd.reason }).ok) count++;
    } else if (cmd.action === 'retry') {
      if (retry(s, taskId, cmd.now).ok) count++;
    } else if (isTerminal(task)) {
      if (task.state === 'dead') queue?.dead.delete(taskId);
      dropTask(s, task);
      count++;
    }
  }
  if (cmd.action === 'purge') s.emit({ type: 'queue.purged', queue: cmd.queue, count });
  return { ok: true, count };
}
