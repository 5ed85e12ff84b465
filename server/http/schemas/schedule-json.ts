import { z } from 'zod';
import {
  MISSED_POLICIES,
  scheduleSpecSchema,
  scheduleTaskSchema,
  type ScheduleJson,
} from '../../../protocol/index.js';
import { DEFAULT_TZ, timingProblem, type ScheduleRecord } from '../../core/index.js';

const time = z.number().int().min(0);

/**
 * A new schedule, as POST /api/v1/schedules takes it: the shape (protocol/schedule-spec.ts),
 * then the cron expression and zone through the cron library, so a bad one is a 400 that
 * names the field.
 */
export const scheduleBody = scheduleSpecSchema
  .superRefine((s, ctx) => {
    if (s.cron === undefined) return;
    const problem = timingProblem(s.cron, s.tz ?? DEFAULT_TZ, Date.now());
    if (problem) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  })
  .meta({
    id: 'ScheduleSpec',
    description: 'A schedule: exactly one of `cron` and `everyMs`, and the task each fire makes.',
  });

export const scheduleJson = z
  .object({
    name: z.string(),
    id: z.string().describe('the prefix of the ids of the tasks its fires make'),
    cron: z.string().nullable(),
    tz: z.string().nullable(),
    everyMs: z.number().int().nullable(),
    missed: z.enum(MISSED_POLICIES),
    paused: z.boolean(),
    task: scheduleTaskSchema,
    createdAt: time,
    nextAt: time.nullable().describe('the next occurrence; null while paused'),
    lastFireAt: time.nullable().describe('the occurrence of the last fire'),
    lastTaskId: z.string().nullable().describe('the task the last fire made'),
    fires: z.number().int().min(0).describe('tasks made so far'),
    skipped: z.number().int().min(0).describe('missed occurrences skipped (policy skip)'),
  })
  .meta({ id: 'Schedule' }) satisfies z.ZodType<ScheduleJson>;

export function toScheduleJson(r: ScheduleRecord): ScheduleJson {
  return {
    name: r.name,
    id: r.id,
    cron: r.cron ?? null,
    tz: r.tz ?? null,
    everyMs: r.everyMs ?? null,
    missed: r.missed,
    paused: r.paused,
    task: r.task,
    createdAt: r.createdAt,
    nextAt: r.nextAt === 0 ? null : r.nextAt,
    lastFireAt: r.lastFireAt === 0 ? null : r.lastFireAt,
    lastTaskId: r.lastTaskId ?? null,
    fires: r.fires,
    skipped: r.skipped,
  };
}
