import { z } from 'zod';
import { PRIORITY_NAMES, type PriorityName, type QueueJson } from '../../../protocol/index.js';

const count = z.number().int().min(0);

/** A queue as the REST API shows it (toQueueJson). */
export const queueJson = z
  .object({
    name: z.string(),
    paused: z.boolean(),
    depth: z
      .record(z.enum(PRIORITY_NAMES as [PriorityName, ...PriorityName[]]), count)
      .describe('runnable tasks by priority level'),
    queued: count,
    delayed: count,
    leased: count,
    dead: count,
    workers: count.describe('registered workers that serve it'),
  })
  .meta({ id: 'Queue' }) satisfies z.ZodType<QueueJson>;
