import type { MissedPolicy, ScheduleTaskSpec } from '../../protocol/index.js';
import { DEFAULT_TZ, type ScheduleTiming } from './schedule-timing.js';

/** One schedule: when it fires, the task it makes, and what its fires were so far. */
export interface ScheduleRecord {
  name: string;
  /** Chosen by the gateway, new for every create: task ids of fires start with it. */
  id: string;
  cron: string | undefined;
  /** Set with cron (default UTC). */
  tz: string | undefined;
  everyMs: number | undefined;
  missed: MissedPolicy;
  task: ScheduleTaskSpec;
  paused: boolean;
  createdAt: number;
  /** Intervals count from here: the create, or the last resume. */
  anchor: number;
  /** The next occurrence; 0 when there is none (paused, or a cron with no more). */
  nextAt: number;
  /** The occurrence of the last fire (made or skipped); 0 before the first. */
  lastFireAt: number;
  lastTaskId: string | undefined;
  fires: number;
  skipped: number;
  /** The identity that created it (the token's subject), when auth is on. */
  owner: string | undefined;
}

export function timingOf(r: ScheduleRecord): ScheduleTiming {
  return r.cron !== undefined
    ? { kind: 'cron', cron: r.cron, tz: r.tz ?? DEFAULT_TZ }
    : { kind: 'every', everyMs: r.everyMs!, anchor: r.anchor };
}

/** Every schedule by name. The snapshot holds the records as they are (plain data). */
export class Schedules {
  readonly byName = new Map<string, ScheduleRecord>();

  get size(): number {
    return this.byName.size;
  }

  snapshot(): ScheduleRecord[] {
    return [...this.byName.values()].map((r) => ({ ...r }));
  }
}
