import { z } from 'zod';
import {
  PRIORITY_NAMES,
  type PriorityName,
  type QueueJson,
  type QueueLimitsJson,
} from '../../../protocol/index.js';

const count = z.number().int().min(0);

/** A queue's limits and how much of them is in use (docs/rate-limits.md). */
export const queueLimitsJson = z
  .object({
    rate: z
      .object({
        count: count.describe('attempts started per window'),
        perMs: count,
        burst: count.describe('how many may start back to back'),
      })
      .nullable(),
    concurrency: count.nullable().describe('tasks running at once, across workers and hubs'),
    group: z
      .object({ key: z.string().describe('payload field'), concurrency: count })
      .nullable()
      .describe('tasks running at once per value of the payload field'),
    startsInWindow: count.describe("attempts started in the rate's current window"),
    groupsAtLimit: count.describe('groups running as many tasks as they may'),
    groupsRunning: count.describe('groups with a task running'),
  })
  .meta({ id: 'QueueLimits' }) satisfies z.ZodType<QueueLimitsJson>;

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
    waiting: count.describe('flow parents waiting for their children (docs/flows.md)'),
    leased: count,
    dead: count,
    workers: count.describe('registered workers that serve it'),
    limits: queueLimitsJson.nullable().describe('null: the queue has no limits'),
  })
  .meta({ id: 'Queue' }) satisfies z.ZodType<QueueJson>;
