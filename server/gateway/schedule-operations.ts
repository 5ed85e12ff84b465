import { ErrorCode, type ScheduleSpec } from '../../protocol/index.js';
import { mayUseQueue, type Role } from '../auth/index.js';
import type { Command, CommandResult, ScheduleRecord } from '../core/index.js';
import type { Caller } from './caller.js';
import type { Engine } from './engine.js';
import { OperationError } from './operation-error.js';

/** The gateway's building blocks schedule operations share (the Gateway provides them). */
interface GatewayRules {
  requireRole(caller: Caller, role: Role, what: string): void;
  requireQueue(caller: Caller, queue: string): void;
  gateNewWork(what: string): void;
  durably(cmd: Command): Promise<CommandResult & { ok: true }>;
}

/** A copy, so a reply rendered later shows the schedule as it was when answered. */
function copy(r: ScheduleRecord): ScheduleRecord {
  return { ...r };
}

/**
 * Schedules, as part of the gateway (`gateway.schedules`, docs/schedules.md). A schedule
 * submits tasks, so the rules are a submit's: a producer (or admin) whose token allows the
 * template's queue may create one, and see, pause, resume or remove it; listings show only
 * the schedules of queues the token allows. The core decides the rest (names, the cron
 * expression, every fire).
 */
export class ScheduleOperations {
  constructor(
    private readonly hub: Engine,
    private readonly rules: GatewayRules,
  ) {}

  /** Resolves, with the new schedule, once its create is durable. */
  async create(caller: Caller, spec: ScheduleSpec): Promise<ScheduleRecord> {
    this.rules.requireRole(caller, 'producer', 'create schedules');
    this.rules.requireQueue(caller, spec.task.queue);
    this.rules.gateNewWork('schedules');
    const cmd: Command = {
      type: 'schedule.create',
      now: this.hub.now(),
      id: this.hub.ids.next(),
      name: spec.name,
      task: spec.task,
    };
    if (spec.cron !== undefined) cmd.cron = spec.cron;
    if (spec.tz !== undefined) cmd.tz = spec.tz;
    if (spec.everyMs !== undefined) cmd.everyMs = spec.everyMs;
    if (spec.missed !== undefined) cmd.missed = spec.missed;
    if (caller.grant.subject !== undefined) cmd.owner = caller.grant.subject;
    await this.rules.durably(cmd);
    return copy(this.hub.core.schedules.byName.get(spec.name)!);
  }

  list(caller: Caller): ScheduleRecord[] {
    this.rules.requireRole(caller, 'producer', 'read schedules');
    return [...this.hub.core.schedules.byName.values()]
      .filter((r) => mayUseQueue(caller.grant, r.task.queue))
      .map(copy);
  }

  get(caller: Caller, name: string): ScheduleRecord {
    this.rules.requireRole(caller, 'producer', 'read schedules');
    return copy(this.visible(caller, name));
  }

  pause(caller: Caller, name: string): Promise<ScheduleRecord> {
    return this.change(caller, name, 'schedule.pause', 'pause schedules');
  }

  resume(caller: Caller, name: string): Promise<ScheduleRecord> {
    return this.change(caller, name, 'schedule.resume', 'resume schedules');
  }

  /** Resolves with the schedule as it was, once the removal is durable. */
  remove(caller: Caller, name: string): Promise<ScheduleRecord> {
    return this.change(caller, name, 'schedule.remove', 'remove schedules');
  }

  private async change(
    caller: Caller,
    name: string,
    type: 'schedule.pause' | 'schedule.resume' | 'schedule.remove',
    what: string,
  ): Promise<ScheduleRecord> {
    this.rules.requireRole(caller, 'producer', what);
    const r = this.visible(caller, name);
    await this.rules.durably({ type, now: this.hub.now(), name });
    return copy(this.hub.core.schedules.byName.get(name) ?? r);
  }

  /** A schedule the caller may see: its template's queue is allowed by the token. */
  private visible(caller: Caller, name: string): ScheduleRecord {
    const r = this.hub.core.schedules.byName.get(name);
    if (!r) throw new OperationError(ErrorCode.SCHEDULE_NOT_FOUND, `no schedule ${name}`);
    this.rules.requireQueue(caller, r.task.queue);
    return r;
  }
}
