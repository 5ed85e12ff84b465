import { ErrorCode, type WhoamiJson } from '../../protocol/index.js';
import { mayUseQueue } from '../auth/index.js';
import type { AttemptRecord, TaskRecord } from '../core/index.js';
import { requireQueue, requireRole, visibleTask } from './access-rules.js';
import type { Caller } from './caller.js';
import type { Engine } from './engine.js';
import type { GatewayRules } from './gateway-rules.js';
import { OperationError } from './operation-error.js';
import { searchTasks, type TaskPage, type TaskSearch } from './task-search.js';

/**
 * Reads of the engine's state, as part of the gateway (the Gateway's task, listTasks,
 * deadTask, whoami, taskCounts and stats delegate here): each shows only what the caller's
 * role and token allow.
 */
export class StateReads {
  constructor(
    private readonly hub: Engine,
    private readonly gateway: GatewayRules,
  ) {}

  /** A task the caller may see: its queue is allowed by the token. */
  task(caller: Caller, taskId: string): TaskRecord {
    requireRole(caller, 'producer', 'read tasks');
    return visibleTask(this.hub.core, caller, taskId);
  }

  /** One page of a task search in creation order, filtered to what the caller may see. */
  listTasks(caller: Caller, q: TaskSearch): TaskPage {
    requireRole(caller, 'producer', 'list tasks');
    if (q.queue !== undefined) requireQueue(caller, q.queue);
    const core = this.hub.core;
    return searchTasks(core.tasks, (name) => core.queues.get(name)?.dead, caller.grant, q);
  }

  /** A dead task of the queue with its failed attempts (the last MAX_ATTEMPTS_KEPT). */
  deadTask(
    caller: Caller,
    name: string,
    taskId: string,
  ): { task: TaskRecord; attempts: readonly AttemptRecord[] } {
    const q = this.gateway.queue(caller, name);
    const task = this.hub.core.tasks.get(taskId);
    if (!task || task.queue !== q.name || task.state !== 'dead')
      throw new OperationError(
        ErrorCode.TASK_NOT_FOUND,
        `no dead task ${taskId} in queue ${q.name}`,
        taskId,
      );
    return { task, attempts: this.hub.core.attempts.of(taskId) };
  }

  /**
   * Who the caller is, as its token says: what a client (the dashboard) needs to show only
   * what the token allows. Any valid token may ask about itself; nothing else is revealed.
   */
  whoami(caller: Caller): Omit<WhoamiJson, 'auth'> {
    const g = caller.grant;
    return {
      role: g.role,
      subject: g.subject ?? null,
      tokenId: g.tokenId ?? null,
      queues: g.queues ?? null,
      expiresAt: g.expiresAt ?? null,
    };
  }

  /** How many retained tasks are in each state, of the queues the caller may see. */
  taskCounts(caller: Caller): Record<string, number> {
    requireRole(caller, 'admin', 'read hub state');
    const counts: Record<string, number> = {};
    for (const t of this.hub.core.tasks.values())
      if (mayUseQueue(caller.grant, t.queue)) counts[t.state] = (counts[t.state] ?? 0) + 1;
    return counts;
  }

  /** Load across the queues the caller may see (a token without a queue scope: the whole hub). */
  stats(caller: Caller): {
    workers: number;
    tasks: { retained: number; queued: number; delayed: number; leased: number; dead: number };
  } {
    const queues = this.gateway.queues(caller);
    const tasks = { retained: 0, queued: 0, delayed: 0, leased: 0, dead: 0 };
    for (const q of queues) {
      tasks.leased += q.leased;
      tasks.queued += q.runnable;
      tasks.delayed += q.delayed;
      tasks.dead += q.dead.size;
    }
    const core = this.hub.core;
    if (caller.grant.queues === undefined)
      return { workers: core.workers.size, tasks: { ...tasks, retained: core.tasks.size } };
    for (const t of core.tasks.values()) if (mayUseQueue(caller.grant, t.queue)) tasks.retained++;
    return { workers: this.gateway.workers(caller).length, tasks };
  }
}
