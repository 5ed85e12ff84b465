import type { MissedPolicy, ScheduleTaskSpec } from '../../protocol/index.js';

/**
 * The durable commands of schedules (docs/schedules.md). Create, pause, resume and remove are
 * journaled as issued. A fire is derived by `tick` (or by `recover`, for fires that fell due
 * while no hub ran) and journaled as `schedule.fire` before it is applied: the fire and the
 * task it makes are one command, so a replay meets them together or not at all, and the
 * occurrence it names can never fire again.
 */
export type ScheduleCommand =
  | {
      type: 'schedule.create';
      now: number;
      /** Chosen by the gateway: the prefix of the ids of the tasks its fires make. */
      id: string;
      name: string;
      cron?: string;
      tz?: string;
      everyMs?: number;
      missed?: MissedPolicy;
      task: ScheduleTaskSpec;
      owner?: string;
    }
  | { type: 'schedule.pause' | 'schedule.resume' | 'schedule.remove'; now: number; name: string }
  | {
      type: 'schedule.fire';
      now: number;
      name: string;
      /** The occurrence this fire is for. */
      at: number;
      /** The task made; absent when the fire was missed and the policy is skip. */
      taskId?: string;
      /** The next occurrence, as the firing hub computed it (0: none): replay takes it as is. */
      nextAt: number;
      /** True when the occurrence fell due while no hub could run it. */
      missed?: boolean;
    };

/** Journaled as issued; `schedule.fire` is journaled by the core that derives it. */
export const SCHEDULE_COMMANDS = [
  'schedule.create',
  'schedule.pause',
  'schedule.resume',
  'schedule.remove',
] as const;
