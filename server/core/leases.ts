import { ErrorCode } from '../../protocol/index.js';
import { fail, OK, type CommandResult } from './command-result.js';
import type { LeaseCommand, ProgressCommand } from './commands.js';
import type { CoreState } from './core-state.js';
import type { TaskRecord, WorkerRecord } from './records.js';

/**
 * Leases: a queued task handed to a worker for one attempt, and given back (completed,
 * failed, cancelled, lost). Only the worker holding the current attempt may act on it.
 */

/** Lease a task that dispatch has just taken off its queue: journal, then apply. */
export function grantLease(
  s: CoreState,
  task: TaskRecord,
  worker: WorkerRecord,
  now: number,
): void {
  const cmd: LeaseCommand = {
    type: 'task.lease',
    now,
    taskId: task.id,
    workerId: worker.id,
    attempt: task.attempt + 1,
  };
  s.journal(cmd);
  applyLease(s, cmd, true);
}

/**
 * Apply a lease. Live dispatch has already taken the task off its queue (`fromTake`); in
 * replay the queue entry is left behind and becomes stale once the state changes below.
 */
export function applyLease(s: CoreState, cmd: LeaseCommand, fromTake = false): CommandResult {
  const task = s.tasks.get(cmd.taskId);
  if (!task) return fail(ErrorCode.TASK_NOT_FOUND, `no task ${cmd.taskId}`);
  if (task.state !== 'queued')
    return fail(ErrorCode.INVALID_STATE, `task ${task.id} is ${task.state}`);
  const queue = s.queue(task.queue);
  if (!fromTake) queue.forget(task);
  task.state = 'leased';
  task.attempt = cmd.attempt;
  task.workerId = cmd.workerId;
  task.startedAt = cmd.now;
  task.error = undefined;
  queue.leased++;
  // Live and in replay alike, so a recovered queue knows its window and groups.
  if (queue.limits !== undefined) queue.limits.started(task, cmd.now);
  if (task.options.timeoutMs > 0) {
    s.wakeups.at(cmd.now + task.options.timeoutMs, {
      kind: 'timeout',
      taskId: task.id,
      attempt: task.attempt,
    });
  }
  const worker = s.workers.get(cmd.workerId);
  if (worker) {
    worker.running.add(task.id);
    if (worker.running.size >= worker.concurrency) s.free.markBusy(worker);
  }
  s.emit({ type: 'task.assigned', task, workerId: cmd.workerId });
  return OK;
}

/** End a lease: free the worker's slot. Returns the worker when it is still known. */
export function release(s: CoreState, task: TaskRecord, now: number): WorkerRecord | undefined {
  const queue = s.queue(task.queue);
  queue.leased--;
  if (queue.limits !== undefined) queue.limits.ended(task);
  const worker = task.workerId === undefined ? undefined : s.workers.get(task.workerId);
  if (worker) {
    worker.running.delete(task.id);
    worker.lastSeen = Math.max(worker.lastSeen, now);
    s.free.markFree(worker);
  }
  return worker;
}

/** Whether `workerId` holds the lease on `task` for `attempt`. */
export function holds(
  task: TaskRecord | undefined,
  workerId: string,
  attempt: number,
): task is TaskRecord {
  return (
    task !== undefined &&
    task.state === 'leased' &&
    task.workerId === workerId &&
    task.attempt === attempt
  );
}

export function leaseNotHeld(taskId: string): CommandResult {
  return fail(
    ErrorCode.LEASE_NOT_HELD,
    `this worker holds no lease on task ${taskId} for that attempt (it finished, was cancelled, or was re-assigned after the lease was lost)`,
  );
}

/** The lease holder reports progress; it also counts as a sign of life. */
export function progress(s: CoreState, cmd: ProgressCommand): CommandResult {
  const task = s.tasks.get(cmd.taskId);
  if (!holds(task, cmd.workerId, cmd.attempt)) return leaseNotHeld(cmd.taskId);
  task.progress = cmd.value;
  const worker = s.workers.get(cmd.workerId);
  if (worker && cmd.now > worker.lastSeen) worker.lastSeen = cmd.now;
  s.emit({ type: 'task.progress', task, value: cmd.value });
  return OK;
}
