import { ErrorCode, type WireErrorCodeName } from '../../protocol/index.js';
import { hasRole, mayUseQueue, type Role } from '../auth/index.js';
import type { TaskRecord } from '../core/index.js';
import type { Caller } from './caller.js';
import { HubPhase, type Engine, type HubPhaseName } from './engine.js';
import { OperationError } from './operation-error.js';
import { workerAccessDenied } from './worker-access.js';

/** The engine state the access rules read. */
type State = Pick<Engine['core'], 'tasks' | 'workers'>;

/*
 * Who may do what, checked before any command: the caller's role, its token's queues, its
 * identity as a worker, and the hub's phase. Plain functions, so the per-frame path calls
 * them directly; the Gateway exposes them as methods to the parts that take its rules.
 */

export function requireRole(caller: Caller, role: Role, what: string): void {
  if (!hasRole(caller.grant, role))
    throw new OperationError(ErrorCode.FORBIDDEN, `role ${caller.grant.role} may not ${what}`);
}

export function requireQueue(caller: Caller, queue: string): void {
  if (!mayUseQueue(caller.grant, queue))
    throw new OperationError(ErrorCode.FORBIDDEN, `token does not allow queue ${queue}`);
}

/** NOT_READY while recovering; SHUTTING_DOWN once draining. */
export function gateNewWork(phase: HubPhaseName, what: string): void {
  if (phase === HubPhase.ready) return;
  const code: WireErrorCodeName =
    phase === HubPhase.created || phase === HubPhase.recovering
      ? ErrorCode.NOT_READY
      : ErrorCode.SHUTTING_DOWN;
  throw new OperationError(
    code,
    code === ErrorCode.NOT_READY
      ? `the hub is recovering its state and accepts no ${what} yet; retry shortly`
      : `the hub is shutting down and accepts no new ${what}`,
  );
}

/** The task, if the caller's token allows its queue. */
export function visibleTask(core: State, caller: Caller, taskId: string): TaskRecord {
  const task = core.tasks.get(taskId);
  if (!task)
    throw new OperationError(
      ErrorCode.TASK_NOT_FOUND,
      `no task ${taskId} (never existed, or its result was evicted)`,
      taskId,
    );
  if (!mayUseQueue(caller.grant, task.queue))
    throw new OperationError(
      ErrorCode.FORBIDDEN,
      `token does not allow queue ${task.queue}`,
      taskId,
    );
  return task;
}

/**
 * The caller may act as `workerId`: a connection bound to it may; anyone else must own it
 * (or be an admin). Reports on a task also need its queue allowed by the token.
 */
export function asWorker(core: State, caller: Caller, workerId: string, taskId?: string): void {
  if (caller.boundWorker !== workerId) {
    if (caller.session !== undefined && caller.boundWorker === undefined)
      throw new OperationError(ErrorCode.NOT_REGISTERED, 'send register before worker frames');
    const worker = core.workers.get(workerId);
    // A late report from a worker the hub already dropped holds no lease: the core answers
    // LEASE_NOT_HELD, as for any stale attempt.
    if (!(worker === undefined && taskId !== undefined)) {
      const denied = workerAccessDenied(caller.grant, workerId, worker);
      if (denied) throw new OperationError(denied.code, denied.message, taskId);
    }
  }
  // A token without a queue scope allows every queue: no need to look the task up.
  if (taskId === undefined || caller.grant.queues === undefined) return;
  const task = core.tasks.get(taskId);
  if (task && !mayUseQueue(caller.grant, task.queue))
    throw new OperationError(
      ErrorCode.FORBIDDEN,
      `token does not allow queue ${task.queue}`,
      taskId,
    );
}
