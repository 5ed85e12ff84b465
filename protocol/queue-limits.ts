import * as z from 'zod';

/**
 * A queue's limits as the REST API, the config file and the CLI give them
 * (docs/rate-limits.md). Every bound here is a bound of the core: the rate's sliding log
 * holds one number per start it allows in a window.
 */

export const RATE_MAX_COUNT = 100_000;
export const RATE_MAX_WINDOW_MS = 24 * 60 * 60 * 1000;
export const LIMIT_MAX_CONCURRENCY = 1_000_000;

export const rateSchema = z
  .strictObject({
    count: z.number().int().min(1).max(RATE_MAX_COUNT).describe('attempts started per window'),
    perMs: z.number().int().min(1).max(RATE_MAX_WINDOW_MS).describe('the window, in ms'),
    burst: z
      .number()
      .int()
      .min(1)
      .max(RATE_MAX_COUNT)
      .optional()
      .describe(
        'how many may start back to back (default 1: spread evenly over the window; count: all at once)',
      ),
  })
  .refine((r) => r.burst === undefined || r.burst <= r.count, {
    message: 'burst is at most count',
    path: ['burst'],
  });
export type RateSpec = z.infer<typeof rateSchema>;

/** A payload field name, or a path of up to 8 names joined by dots ("customer.id"). */
export const groupKeySchema = z
  .string()
  .max(200)
  .regex(
    /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+){0,7}$/,
    'a payload field name, or up to 8 names joined by dots',
  );

export const queueLimitsSchema = z.strictObject({
  rate: rateSchema.optional(),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(LIMIT_MAX_CONCURRENCY)
    .optional()
    .describe('tasks of the queue running at once, across every worker and hub'),
  group: z
    .strictObject({
      key: groupKeySchema,
      concurrency: z.number().int().min(1).max(LIMIT_MAX_CONCURRENCY),
    })
    .optional()
    .describe('tasks running at once per value of a payload field'),
});
export type QueueLimitsSpec = z.infer<typeof queueLimitsSchema>;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * "N/DURATION": 100/s, 100/1s, 5/500ms, 1000/1m, 10/2h. Throws a RangeError that says what
 * is wrong, for the CLI and the config file to show.
 */
export function parseRate(text: string): RateSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)?\s*(ms|s|m|h)\s*$/.exec(text);
  if (!m)
    throw new RangeError(`rate "${text}" is not N/DURATION (for example 100/s, 5/500ms, 1000/1m)`);
  const spec = { count: Number(m[1]), perMs: Number(m[2] ?? 1) * UNIT_MS[m[3]!]! };
  const parsed = rateSchema.safeParse(spec);
  if (!parsed.success)
    throw new RangeError(
      `rate "${text}": at most ${RATE_MAX_COUNT} per window, windows of 1 ms to 24 h, at least 1`,
    );
  return parsed.data;
}

/** The short form of a rate, as the CLI and the monitor show it: 100/1s, 5/500ms. */
export function formatRate(rate: RateSpec): string {
  const { count, perMs } = rate;
  const burst = rate.burst !== undefined && rate.burst > 1 ? ` burst ${rate.burst}` : '';
  if (perMs % 3_600_000 === 0) return `${count}/${perMs / 3_600_000}h${burst}`;
  if (perMs % 60_000 === 0) return `${count}/${perMs / 60_000}m${burst}`;
  if (perMs % 1000 === 0) return `${count}/${perMs / 1000}s${burst}`;
  return `${count}/${perMs}ms${burst}`;
}
