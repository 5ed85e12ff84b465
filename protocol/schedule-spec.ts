import * as z from 'zod';
import { nameSchema, taskSpecSchema } from './task-spec.js';

/**
 * A schedule as the REST API and the CLI give it (docs/schedules.md): a cron expression (with
 * an optional seconds field and time zone) or a fixed interval, and the task each fire makes.
 * Whether a cron expression parses, and whether a zone exists, is the server's check (it owns
 * the cron library); here only the shape.
 */

export const SCHEDULE_MIN_EVERY_MS = 1000;
export const SCHEDULE_MAX_EVERY_MS = 366 * 86_400_000;

/**
 * What a fire that fell due while no hub could run it does: `run-once` makes one task when
 * the hub is back (however many occurrences passed), `skip` makes none. Either way the next
 * fire is the first occurrence after that moment.
 */
export const MISSED_POLICIES = ['run-once', 'skip'] as const;
export type MissedPolicy = (typeof MISSED_POLICIES)[number];

/**
 * The task a fire makes: a task spec without what would make every fire the same task or a
 * later one (idempotencyKey, runAt, delayMs).
 */
export const scheduleTaskSchema = taskSpecSchema.omit({
  idempotencyKey: true,
  runAt: true,
  delayMs: true,
});
export type ScheduleTaskSpec = z.infer<typeof scheduleTaskSchema>;

export const scheduleSpecSchema = z
  .strictObject({
    name: nameSchema,
    cron: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('5 fields (minute first) or 6 (seconds first); croner syntax'),
    tz: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('IANA time zone of the cron expression (default UTC)'),
    everyMs: z
      .number()
      .int()
      .min(SCHEDULE_MIN_EVERY_MS)
      .max(SCHEDULE_MAX_EVERY_MS)
      .optional()
      .describe('a fixed interval instead of cron; the first fire is one interval after creation'),
    missed: z
      .enum(MISSED_POLICIES)
      .optional()
      .describe('a fire due while no hub ran: run-once (default) or skip'),
    task: scheduleTaskSchema,
  })
  .superRefine((s, ctx) => {
    if ((s.cron === undefined) === (s.everyMs === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [s.cron === undefined ? 'cron' : 'everyMs'],
        message: 'give exactly one of cron and everyMs',
      });
    if (s.tz !== undefined && s.cron === undefined)
      ctx.addIssue({ code: 'custom', path: ['tz'], message: 'tz applies to cron only' });
  });
export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;

const DURATION_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * "30s", "5m", "1h30m", "2d", "1500ms" in ms. Throws a RangeError that says what is wrong, for
 * the CLI to show.
 */
export function parseDuration(text: string): number {
  const parts = /^\s*((\d+)\s*(ms|s|m|h|d)\s*)+$/.test(text)
    ? [...text.matchAll(/(\d+)\s*(ms|s|m|h|d)/g)]
    : [];
  if (parts.length === 0)
    throw new RangeError(
      `duration "${text}" is not N followed by ms, s, m, h or d (e.g. 30s, 1h30m)`,
    );
  return parts.reduce((sum, m) => sum + Number(m[1]) * DURATION_MS[m[2]!]!, 0);
}

/** The short form of a duration, as the CLI and the monitor show it: 30s, 5m, 1h30m, 1500ms. */
export function formatDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  let s = ms / 1000;
  const out: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= size) {
      out.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return out.join('') || '0s';
}
