import type { TaskSpec } from '../../protocol/index.js';
import { mayUseQueue } from '../auth/index.js';
import { isTerminal, matchesTask, type TaskFilter } from '../core/index.js';
import type { Command, TaskBulkCommand, TaskRecord } from '../core/index.js';
import { gateNewWork, requireQueue, requireRole, visibleTask } from './access-rules.js';
import type { Caller } from './caller.js';
import type { Done } from './done.js';
import type { Engine } from './engine.js';
import type { GatewayRules } from './gateway-rules.js';
import { matchingDead } from './task-search.js';

export interface SubmitOutcome {
  taskIds: string[];
  /** Indexes of the specs whose idempotency key matched an existing task. */
  duplicates: number[];
}

/**
 * What producers and admins do to tasks, as part of the gateway (the Gateway's submit,
 * cancel, retry, bulk and watch delegate here): submits, cancels, retries, bulk actions on
 * a queue's tasks, and watches of results.
 */
export class TaskOperations {
  constructor(
    private readonly hub: Engine,
    private readonly gateway: GatewayRules,
  ) {}

  submit(
    caller: Caller,
    specs: TaskSpec[],
    done: Done<SubmitOutcome> | undefined,
  ): Promise<SubmitOutcome> | undefined {
    requireRole(caller, 'producer', 'submit tasks');
    for (const spec of specs) requireQueue(caller, spec.queue);
    gateNewWork(this.hub.phase, 'tasks');
    const tasks = specs.map((spec) => ({ id: this.hub.ids.next(), spec }));
    const cmd: Command = { type: 'task.submit', now: this.hub.now(), tasks };
    if (caller.session !== undefined) cmd.submitter = caller.session;
    const { result, seq } = this.hub.execute(cmd);
    const ok = this.gateway.check(result);
    return this.gateway.settle(
      seq,
      done,
      undefined,
      () => ({ taskIds: ok.taskIds!, duplicates: ok.duplicates! }),
      (err) => {
        this.hub.rollbackSubmit(
          tasks.map((t) => t.id),
          err,
        );
        return `tasks not accepted: could not persist them (${err.message})`;
      },
    );
  }

  cancel(
    caller: Caller,
    taskId: string,
    reason: string | undefined,
    done: Done<TaskRecord> | undefined,
  ): Promise<TaskRecord> | undefined {
    requireRole(caller, 'producer', 'cancel tasks');
    const task = visibleTask(this.hub.core, caller, taskId);
    const cmd: Command = { type: 'task.cancel', now: this.hub.now(), taskId };
    if (reason !== undefined) cmd.reason = reason;
    const { result, seq } = this.hub.execute(cmd);
    this.gateway.check(result, taskId);
    return this.gateway.settle(seq, done, taskId, () => task);
  }

  retry(caller: Caller, taskId: string): Promise<TaskRecord> {
    requireRole(caller, 'admin', 'retry dead tasks');
    const task = visibleTask(this.hub.core, caller, taskId);
    gateNewWork(this.hub.phase, 'tasks');
    return this.gateway
      .durably({ type: 'task.retry', now: this.hub.now(), taskId }, taskId)
      .then(() => task);
  }

  /**
   * One bulk action on a queue's tasks matching `f` (docs/dead-letters.md): cancel
   * unfinished ones, retry or purge dead ones, at most `limit` (oldest first) in one core
   * command; `more` says whether matching tasks remain. Admin, with the queue allowed.
   */
  bulk(
    caller: Caller,
    name: string,
    action: TaskBulkCommand['action'],
    f: TaskFilter,
    limit: number,
    reason?: string,
  ): Promise<{ count: number; more: boolean }> {
    const q = this.gateway.queue(caller, name);
    if (action === 'retry') gateNewWork(this.hub.phase, 'tasks');
    const core = this.hub.core;
    const filter: TaskFilter = { ...f, queue: q.name };
    let chosen: TaskRecord[];
    if (action === 'cancel') {
      chosen = [];
      for (const task of core.tasks.values()) {
        if (task.queue !== q.name || isTerminal(task) || !matchesTask(task, filter)) continue;
        chosen.push(task);
        if (chosen.length > limit) break;
      }
    } else {
      chosen = matchingDead(q.dead, core.tasks, { ...filter, state: 'dead' });
    }
    const more = chosen.length > limit;
    const cmd: Command = {
      type: 'task.bulk',
      now: this.hub.now(),
      queue: q.name,
      action,
      taskIds: chosen.slice(0, limit).map((t) => t.id),
    };
    if (reason !== undefined) cmd.reason = reason;
    return this.gateway.durably(cmd).then((ok) => ({ count: ok.count ?? 0, more }));
  }

  /** Remove one dead task of the queue for good (the same command as a bulk purge). */
  purgeDeadTask(caller: Caller, name: string, taskId: string): Promise<{ count: number }> {
    const { task } = this.gateway.deadTask(caller, name, taskId);
    const cmd: Command = {
      type: 'task.bulk',
      now: this.hub.now(),
      queue: task.queue,
      action: 'purge',
      taskIds: [task.id],
    };
    return this.gateway.durably(cmd).then((ok) => ({ count: ok.count ?? 0 }));
  }

  /**
   * Which of `taskIds` the caller may watch: those still running are watched by `session`
   * from now on; finished ones are returned for their result; the rest are unknown to it
   * (never existed, evicted, or of a queue its token does not allow: indistinguishable).
   */
  watch(
    caller: Caller,
    taskIds: string[],
    progress: boolean,
  ): { finished: TaskRecord[]; missing: string[] } {
    requireRole(caller, 'producer', 'watch tasks');
    const finished: TaskRecord[] = [];
    const missing: string[] = [];
    for (const taskId of taskIds) {
      const task = this.hub.core.tasks.get(taskId);
      if (!task || !mayUseQueue(caller.grant, task.queue)) missing.push(taskId);
      else if (isTerminal(task)) finished.push(task);
      else if (caller.session !== undefined) this.hub.watch(caller.session, taskId, progress);
    }
    return { finished, missing };
  }
}
