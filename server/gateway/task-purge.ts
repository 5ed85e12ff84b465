import type { Role } from '../auth/index.js';
import {
  isTerminal,
  matchesTask,
  type Command,
  type CommandResult,
  type QueueState,
  type TaskFilter,
  type TaskRecord,
} from '../core/index.js';
import type { Caller } from './caller.js';
import type { Engine } from './engine.js';
import { matchingDead } from './task-search.js';

/** The states a purge takes: finished ones (an unfinished task is cancelled first). */
export const PURGEABLE_STATES = ['dead', 'completed', 'cancelled', 'expired'] as const;
export type PurgeableState = (typeof PURGEABLE_STATES)[number];

/** Which of a queue's tasks a purge removes: one finished state, narrowed by the filter. */
export interface PurgeFilter extends Omit<TaskFilter, 'queue' | 'state'> {
  state: PurgeableState;
}

interface GatewayRules {
  requireRole(caller: Caller, role: Role, what: string): void;
  /** The queue, if it exists and the token allows it (admin). */
  queue(caller: Caller, name: string): QueueState;
  durably(cmd: Command): Promise<CommandResult & { ok: true }>;
}

/**
 * Purge by filter (`gateway.purge`, docs/dead-letters.md): remove a queue's finished tasks in
 * one state matching a filter, for good, at most `limit` (oldest first) in one `task.bulk`
 * command, the same command the dead-letter purges use, so a replay and the Redis engine's
 * leader log do exactly the same. Admin, with the queue allowed by the token; a refused
 * request issues no command.
 */
export class TaskPurge {
  constructor(
    private readonly hub: Engine,
    private readonly rules: GatewayRules,
  ) {}

  purge(
    caller: Caller,
    name: string,
    f: PurgeFilter,
    limit: number,
  ): Promise<{ count: number; more: boolean }> {
    this.rules.requireRole(caller, 'admin', 'purge tasks');
    const q = this.rules.queue(caller, name);
    const filter: TaskFilter = { ...f, queue: q.name };
    const core = this.hub.core;
    let chosen: TaskRecord[];
    if (f.state === 'dead') {
      // The dead-letter set, not a scan of every task.
      chosen = matchingDead(q.dead, core.tasks, filter);
    } else {
      chosen = [];
      for (const task of core.tasks.values()) {
        if (task.queue !== q.name || !isTerminal(task) || !matchesTask(task, filter)) continue;
        chosen.push(task);
        if (chosen.length > limit) break;
      }
    }
    const more = chosen.length > limit;
    const taskIds = chosen.slice(0, limit).map((t) => t.id);
    if (taskIds.length === 0) return Promise.resolve({ count: 0, more: false });
    return this.rules
      .durably({ type: 'task.bulk', now: this.hub.now(), queue: q.name, action: 'purge', taskIds })
      .then((ok) => ({ count: ok.count ?? 0, more }));
  }
}
