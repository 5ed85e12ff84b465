import { ErrorCode, FlowPolicy, TaskErrorCode, type TaskStateName } from '../../protocol/index.js';
import { backoffDelay, jitterFor } from './backoff.js';
import { fail, OK, type CommandResult } from './command-result.js';
import type {
  CancelCommand,
  CompleteCommand,
  FailCommand,
  RequeueCommand,
  RetractCommand,
} from './commands.js';
import type { CoreState } from './core-state.js';
import type { FlowChildRecord, FlowParentRecord } from './flow-state.js';
import { dispatchQueue, fillWorker, refill } from './dispatch.js';
import { holds, leaseNotHeld, release } from './leases.js';
import type { TaskRecord, WorkerRecord } from './records.js';
import { dropTask } from './task-retention.js';

/**
 * What happens to a task after submit: it completes, fails (and retries with backoff or goes
 * dead), loses its lease (back to the front), becomes runnable, expires, is cancelled,
 * retracted or retried by an operator. Each change that frees a worker slot refills it.
 */

const TERMINAL: ReadonlySet<TaskStateName> = new Set(['completed', 'dead', 'expired', 'cancelled']);

/** A task in one of these states is finished: it will not run again unless retried. */
export function isTerminal(task: { state: TaskStateName }): boolean {
  return TERMINAL.has(task.state);
}

export function complete(s: CoreState, cmd: CompleteCommand): CommandResult {
  const task = s.tasks.get(cmd.taskId);
  if (!holds(task, cmd.workerId, cmd.attempt)) return leaseNotHeld(cmd.taskId);
  const worker = release(s, task, cmd.now);
  task.result = cmd.result;
  finish(s, task, 'completed', cmd.now);
  if (worker) worker.completed++;
  s.emit({ type: 'task.completed', task, workerId: cmd.workerId });
  refill(s, worker, task.queue, cmd.now);
  settleFlows(s, cmd.now);
  return OK;
}

export function failTask(s: CoreState, cmd: FailCommand): CommandResult {
  const task = s.tasks.get(cmd.taskId);
  if (!holds(task, cmd.workerId, cmd.attempt)) return leaseNotHeld(cmd.taskId);
  const worker = release(s, task, cmd.now);
  if (worker) worker.failed++;
  task.error = cmd.error;
  s.attempts.record(task.id, {
    attempt: cmd.attempt,
    at: cmd.now,
    workerId: cmd.workerId,
    error: cmd.error,
  });
  if (!cmd.retryable || task.attempt >= task.options.maxAttempts) {
    bury(s, task, cmd.now);
  } else {
    const delay = backoffDelay(
      task.options.backoff,
      task.attempt,
      jitterFor(task.id, task.attempt),
    );
    task.runAt = cmd.now + delay;
    task.state = 'delayed';
    task.workerId = undefined;
    s.queue(task.queue).delayed++;
    s.wakeups.at(task.runAt, { kind: 'delay', taskId: task.id, gen: task.gen });
    s.emit({ type: 'task.failed', task, workerId: cmd.workerId, retryAt: task.runAt });
  }
  refill(s, worker, task.queue, cmd.now);
  settleFlows(s, cmd.now);
  return OK;
}

/** A lease ended without a verdict: the task goes back to the front of its queue. */
export function requeue(s: CoreState, cmd: RequeueCommand): CommandResult {
  const task = s.tasks.get(cmd.taskId);
  if (!task || task.state !== 'leased' || task.attempt !== cmd.attempt) {
    return fail(ErrorCode.INVALID_STATE, `task ${cmd.taskId} holds no lease ${cmd.attempt}`);
  }
  const lostBy = task.workerId;
  const worker = release(s, task, cmd.now);
  task.workerId = undefined;
  s.attempts.record(task.id, {
    attempt: cmd.attempt,
    at: cmd.now,
    workerId: lostBy,
    error: { code: TaskErrorCode.LEASE_LOST, message: `lease lost: ${cmd.reason}` },
  });
  if (task.attempt >= task.options.maxAttempts) {
    task.error = { code: TaskErrorCode.LEASE_LOST, message: `lease lost: ${cmd.reason}` };
    bury(s, task, cmd.now);
  } else {
    const queue = s.queue(task.queue);
    task.state = 'queued';
    queue.pushFront(task);
    s.emit({ type: 'task.requeued', task, reason: cmd.reason });
    dispatchQueue(s, queue, cmd.now);
  }
  refill(s, worker, task.queue, cmd.now);
  settleFlows(s, cmd.now);
  return OK;
}

/** Derive, journal and apply a requeue: the one path by which a lease is lost. */
export function loseLease(s: CoreState, task: TaskRecord, now: number, reason: string): void {
  const cmd: RequeueCommand = {
    type: 'task.requeue',
    now,
    taskId: task.id,
    attempt: task.attempt,
    reason,
  };
  s.journal(cmd);
  requeue(s, cmd);
}

/** After replay: every lease held at crash time is lost; requeued with the attempt counted. */
export function recover(s: CoreState, now: number): CommandResult {
  const leased = [...s.tasks.values()].filter((t) => t.state === 'leased');
  // Each goes to the front of its queue: requeue newest first to keep their order.
  leased.sort((a, b) => b.seq - a.seq);
  for (const task of leased) loseLease(s, task, now, 'hub-restarted');
  return { ok: true, count: leased.length };
}

/** A delayed task's time has come: it joins the back of its queue. */
export function promote(s: CoreState, taskId: string, now: number): CommandResult {
  const task = s.tasks.get(taskId);
  if (!task || task.state !== 'delayed')
    return fail(ErrorCode.INVALID_STATE, `task ${taskId} is not delayed`);
  const queue = s.queue(task.queue);
  queue.delayed--;
  task.state = 'queued';
  task.seq = s.nextSeq++;
  queue.push(task);
  dispatchQueue(s, queue, now);
  return OK;
}

export function expire(s: CoreState, taskId: string, now: number): CommandResult {
  const task = s.tasks.get(taskId);
  if (!task || (task.state !== 'queued' && task.state !== 'delayed')) {
    return fail(ErrorCode.INVALID_STATE, `task ${taskId} cannot expire`);
  }
  unqueue(s, task);
  task.error = {
    code: TaskErrorCode.EXPIRED,
    message: 'no worker started the task before its TTL ran out',
  };
  finish(s, task, 'expired', now);
  s.emit({ type: 'task.expired', task });
  settleFlows(s, now);
  return OK;
}

export function cancel(s: CoreState, cmd: CancelCommand): CommandResult {
  const task = s.tasks.get(cmd.taskId);
  if (!task) return fail(ErrorCode.TASK_NOT_FOUND, `no task ${cmd.taskId}`);
  if (TERMINAL.has(task.state)) {
    return fail(ErrorCode.INVALID_STATE, `task ${task.id} is already ${task.state}`);
  }
  let worker: WorkerRecord | undefined;
  const waited = task.state === 'waiting-children';
  if (task.state === 'leased') {
    const workerId = task.workerId!;
    const attempt = task.attempt;
    worker = release(s, task, cmd.now);
    s.emit({ type: 'lease.revoked', taskId: task.id, workerId, attempt, reason: 'cancelled' });
  } else {
    unqueue(s, task);
  }
  task.error = { code: TaskErrorCode.CANCELLED, message: cmd.reason ?? 'cancelled' };
  finish(s, task, 'cancelled', cmd.now);
  s.emit({ type: 'task.cancelled', task });
  if (worker) refill(s, worker, task.queue, cmd.now);
  if (waited) {
    // Every descendant first, then what the parents above hear: the same order on replay.
    const settling = s.flows.settling;
    s.flows.settling = true;
    try {
      cancelChildren(s, task.id, `parent ${task.id} was cancelled`, cmd.now);
    } finally {
      s.flows.settling = settling;
    }
  }
  settleFlows(s, cmd.now);
  return OK;
}

/** Undo a submit that could not be made durable: the tasks go as if they had never been. */
export function retract(s: CoreState, cmd: RetractCommand): CommandResult {
  const workers = new Set<WorkerRecord>();
  const queues = new Set<string>();
  for (const taskId of cmd.taskIds) {
    const task = s.tasks.get(taskId);
    if (!task) continue;
    if (task.state === 'leased') {
      const workerId = task.workerId!;
      const attempt = task.attempt;
      const worker = release(s, task, cmd.now);
      if (worker) workers.add(worker);
      queues.add(task.queue);
      s.emit({ type: 'lease.revoked', taskId, workerId, attempt, reason: 'cancelled' });
    } else if (task.state === 'dead') {
      s.queue(task.queue).dead.delete(taskId);
    } else if (!TERMINAL.has(task.state)) {
      unqueue(s, task);
    }
    dropTask(s, task);
    s.emit({ type: 'task.evicted', taskId, queue: task.queue });
  }
  for (const worker of workers) fillWorker(s, worker, cmd.now);
  for (const queue of queues) refill(s, undefined, queue, cmd.now);
  return OK;
}

/** Operator retry of a dead task: attempts start over, at the back of its queue. */
export function retry(s: CoreState, taskId: string, now: number): CommandResult {
  const task = s.tasks.get(taskId);
  if (!task) return fail(ErrorCode.TASK_NOT_FOUND, `no task ${taskId}`);
  if (task.state !== 'dead')
    return fail(ErrorCode.INVALID_STATE, `task ${taskId} is ${task.state}, not dead`);
  const queue = s.queue(task.queue);
  queue.dead.delete(task.id);
  // A child its parent still waits on (policy continue) counts as unfinished again.
  const link = s.flows.link(task.id);
  if (link && s.tasks.get(link.parent.id)?.state === 'waiting-children') s.flows.reopen(link);
  task.attempt = 0;
  task.error = undefined;
  task.finishedAt = 0;
  task.seq = s.nextSeq++;
  task.state = 'queued';
  queue.push(task);
  s.emit({ type: 'task.retried', task });
  dispatchQueue(s, queue, now);
  return OK;
}

/** Out of attempts (or not retryable): the task waits in its queue's dead letters. */
function bury(s: CoreState, task: TaskRecord, now: number): void {
  finish(s, task, 'dead', now);
  s.queue(task.queue).dead.add(task.id);
  s.emit({ type: 'task.dead', task });
}

function finish(s: CoreState, task: TaskRecord, state: TaskStateName, now: number): void {
  task.state = state;
  task.finishedAt = now;
  // Dead tasks stay until an operator retries or purges them.
  if (state !== 'dead') s.finished.add(task);
  if (s.flows.isChild(task.id)) s.flows.due.push(task);
}

/** Take a queued or delayed task out of the waiting counts (its queue entry goes stale). */
function unqueue(s: CoreState, task: TaskRecord): void {
  const queue = s.queue(task.queue);
  if (task.state === 'queued') queue.forget(task);
  else if (task.state === 'delayed') queue.delayed--;
  else if (task.state === 'waiting-children') queue.waiting--;
}

// ---------------------------------------------------------------- flows (docs/flows.md)

/**
 * Tell the parents of the children that became final in this rule: record each outcome,
 * then release a parent whose children are all final (into its queue, or delayed until its
 * runAt), or fail it at once when a child failed under policy `fail`. A parent that fails
 * is itself final, so its own parent hears of it in the same pass: a failure climbs the
 * tree as far as the policies let it. Called at the end of every rule that can finish a
 * task, so that live and replay take the same steps in the same order.
 */
export function settleFlows(s: CoreState, now: number): void {
  const flows = s.flows;
  if (flows.settling || flows.due.length === 0) return;
  flows.settling = true;
  try {
    // `due` grows while this runs (a failed parent, its cancelled children).
    for (let i = 0; i < flows.due.length; i++) {
      const child = flows.due[i]!;
      const link = flows.link(child.id);
      if (!link) continue;
      const parent = s.tasks.get(link.parent.id);
      if (!parent || parent.state !== 'waiting-children') continue;
      if (!flows.record(link, child)) continue;
      if (child.state !== 'completed' && link.parent.policy === FlowPolicy.fail)
        failParent(s, parent, link.parent, link.entry, now);
      else if (link.parent.pending === 0) releaseParent(s, parent, link.parent, now);
    }
  } finally {
    flows.due.length = 0;
    flows.settling = false;
  }
}

/** Every child is final: the parent becomes runnable, its TTL counting from now. */
function releaseParent(s: CoreState, task: TaskRecord, rec: FlowParentRecord, now: number): void {
  const queue = s.queue(task.queue);
  queue.waiting--;
  if (rec.ttlMs > 0) {
    task.expiresAt = Math.max(task.runAt, now) + rec.ttlMs;
    s.wakeups.at(task.expiresAt, { kind: 'ttl', taskId: task.id });
  }
  if (task.runAt > now) {
    task.state = 'delayed';
    queue.delayed++;
    s.wakeups.at(task.runAt, { kind: 'delay', taskId: task.id, gen: task.gen });
    return;
  }
  task.state = 'queued';
  task.seq = s.nextSeq++;
  queue.push(task);
  dispatchQueue(s, queue, now);
}

/** A child failed under policy fail: the parent is dead, and what it waited on is cancelled. */
function failParent(
  s: CoreState,
  task: TaskRecord,
  rec: FlowParentRecord,
  child: FlowChildRecord,
  now: number,
): void {
  s.queue(task.queue).waiting--;
  const what = child.name === undefined ? child.id : `${child.name} (${child.id})`;
  task.error = {
    code: TaskErrorCode.CHILD_FAILED,
    message: `child ${what} of queue ${child.queue} ended ${child.state}${child.error ? `: ${child.error.message}` : ''}`,
    details: {
      childId: child.id,
      ...(child.name === undefined ? {} : { name: child.name }),
      state: child.state,
    },
  };
  bury(s, task, now);
  cancelChildren(s, rec.id, `parent ${task.id} failed: child ${what} ended ${child.state}`, now);
}

/** Cancel the children of `parentId` that are not final (and so, in turn, theirs). */
function cancelChildren(s: CoreState, parentId: string, reason: string, now: number): void {
  const rec = s.flows.parents.get(parentId);
  if (!rec) return;
  for (const entry of rec.children) {
    const child = s.tasks.get(entry.id);
    if (child && !TERMINAL.has(child.state))
      cancel(s, { type: 'task.cancel', now, taskId: child.id, reason });
  }
}
