import * as z from 'zod';
import { PRIORITY_NAMES } from './priority.js';
import { valueSchema } from './value-schema.js';

/** Queue, worker and capability names: printable, no spaces, bounded. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
export const nameSchema = z
  .string()
  .regex(NAME_PATTERN, 'must be 1-128 chars of letters, digits, ".", "_", ":", "/", "-"');

export const taskIdSchema = z.string().min(1).max(128);

export const backoffSchema = z.strictObject({
  type: z.enum(['exponential', 'fixed']),
  /** Base delay; exponential doubles it per attempt. */
  delayMs: z.number().int().min(0).max(86_400_000),
  /** Upper bound for one delay (exponential only). Default 1 hour. */
  maxDelayMs: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .optional(),
});
export type BackoffSpec = z.infer<typeof backoffSchema>;

/** What a producer sends to create a task. Every field but `queue` is optional. */
export const taskSpecSchema = z.strictObject({
  queue: nameSchema,
  payload: valueSchema.optional(),
  priority: z.enum(PRIORITY_NAMES as ['critical', 'high', 'normal', 'low']).optional(),
  /** Do not run before now + delayMs. */
  delayMs: z
    .number()
    .int()
    .min(0)
    .max(366 * 86_400_000)
    .optional(),
  /** Do not run before this Unix time in ms. Ignored when delayMs is given. */
  runAt: z.number().int().min(0).optional(),
  /** Total attempts including the first. Default 3. */
  maxAttempts: z.number().int().min(1).max(1000).optional(),
  backoff: backoffSchema.optional(),
  /** One attempt may run at most this long; 0 = no limit (the default). */
  timeoutMs: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .optional(),
  /** Expire the task if no worker has started it within ttlMs of becoming runnable. 0 = never. */
  ttlMs: z
    .number()
    .int()
    .min(0)
    .max(366 * 86_400_000)
    .optional(),
  /** A second submit with the same key returns the first task while it is retained. */
  idempotencyKey: z.string().min(1).max(256).optional(),
  /** Capabilities the worker must offer (all of them). */
  requires: z.array(nameSchema).max(32).optional(),
  /** How long the result is kept after the task finishes. Default from hub config. */
  resultTtlMs: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400_000)
    .optional(),
});
export type TaskSpec = z.infer<typeof taskSpecSchema>;

/** Terminal and non-terminal task states, as seen on the wire and in the REST API. */
export const TaskState = {
  /** A flow's parent whose children are not all final yet: not runnable (docs/flows.md). */
  waitingChildren: 'waiting-children',
  delayed: 'delayed',
  queued: 'queued',
  leased: 'leased',
  completed: 'completed',
  dead: 'dead',
  expired: 'expired',
  cancelled: 'cancelled',
} as const;
export type TaskStateName = (typeof TaskState)[keyof typeof TaskState];
export const TASK_STATES = Object.values(TaskState) as TaskStateName[];

export const taskErrorSchema = z.strictObject({
  message: z.string().max(65_536),
  code: z.string().max(128).optional(),
  /** false = do not retry, go straight to the dead-letter queue. Default true. */
  retryable: z.boolean().optional(),
  details: valueSchema.optional(),
});
export type TaskError = z.infer<typeof taskErrorSchema>;
