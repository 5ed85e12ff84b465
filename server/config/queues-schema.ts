import { z } from 'zod';
import {
  groupKeySchema,
  LIMIT_MAX_CONCURRENCY,
  nameSchema,
  parseRate,
  rateSchema,
  type QueueLimitsSpec,
} from '../../protocol/index.js';

const concurrency = z.number().int().min(1).max(LIMIT_MAX_CONCURRENCY);

/** "100/1s", or the object the REST API takes ({ count, perMs }). */
const rate = z.union([
  rateSchema,
  z.string().transform((text, ctx) => {
    try {
      return parseRate(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
]);

/**
 * `queues.<name>`: limits set at every start (docs/rate-limits.md), the way the CLI spells
 * them. A queue listed here gets exactly these limits when the hub starts (or becomes the
 * leader), whatever REST or the CLI set before; queues not listed keep what they have.
 */
export const queueConfigSchema = z
  .strictObject({
    rate: rate.optional(),
    concurrency: concurrency.optional(),
    groupKey: groupKeySchema.optional(),
    groupConcurrency: concurrency.optional(),
  })
  .refine((q) => (q.groupKey === undefined) === (q.groupConcurrency === undefined), {
    message: 'groupKey and groupConcurrency go together',
  });

export const queuesSchema = z.record(nameSchema, queueConfigSchema).default({});
export type QueuesConfig = z.infer<typeof queuesSchema>;

/** A queue's config entry as the limits the core takes. */
export function queueLimitsOf(q: z.infer<typeof queueConfigSchema>): QueueLimitsSpec {
  const spec: QueueLimitsSpec = {};
  if (q.rate) spec.rate = q.rate;
  if (q.concurrency !== undefined) spec.concurrency = q.concurrency;
  if (q.groupKey !== undefined && q.groupConcurrency !== undefined)
    spec.group = { key: q.groupKey, concurrency: q.groupConcurrency };
  return spec;
}
