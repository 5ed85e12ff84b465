import { z } from 'zod';
import { FrameType } from './frame-types.js';
import { PRIORITY_NAMES } from './priority.js';
import { nameSchema, taskErrorSchema, taskIdSchema, taskSpecSchema } from './task-spec.js';

/**
 * Values inside frames (payloads, results, progress) are free-form here: their depth and
 * types were checked on the raw bytes by checkMsgpack before decoding (MAX_VALUE_DEPTH), so
 * a second walk per value would only cost time on the hot path. HTTP bodies, which have no
 * byte check, use `valueSchema` (task-spec.ts) for the same rule.
 */
const frameValue = z.unknown();
const frameTaskSpec = taskSpecSchema.extend({ payload: frameValue.optional() });

/** Request ids: chosen by the sender, echoed in the reply. */
const reqId = z.number().int().min(0).max(0xffffffff);
const attempt = z.number().int().min(1).max(100_000);

// ---------------------------------------------------------------- client -> hub

export const helloFrame = z.strictObject({
  t: z.literal(FrameType.hello),
  id: reqId,
  protocol: z.number().int().min(1),
  token: z.string().max(8192).optional(),
  client: z.string().max(128).optional(),
});

export const heldLeaseSchema = z.strictObject({ taskId: taskIdSchema, attempt });

export const registerFrame = z.strictObject({
  t: z.literal(FrameType.register),
  id: reqId,
  /** Stable id to resume leases after a reconnect; the hub assigns one when absent. */
  workerId: nameSchema.optional(),
  name: z.string().max(128).optional(),
  queues: z.array(nameSchema).min(1).max(64),
  capabilities: z.array(nameSchema).max(64).optional(),
  concurrency: z.number().int().min(1).max(10_000).optional(),
  /** Tasks this worker still runs from before a reconnect. */
  running: z.array(heldLeaseSchema).max(10_000).optional(),
});

export const heartbeatFrame = z.strictObject({
  t: z.literal(FrameType.heartbeat),
  id: reqId.optional(),
});

export const submitFrame = z.strictObject({
  t: z.literal(FrameType.submit),
  id: reqId,
  task: frameTaskSpec,
});

export const submitManyFrame = z.strictObject({
  t: z.literal(FrameType.submitMany),
  id: reqId,
  tasks: z.array(frameTaskSpec).min(1).max(10_000),
});

export const progressFrame = z.strictObject({
  t: z.literal(FrameType.progress),
  taskId: taskIdSchema,
  attempt,
  value: frameValue,
});

export const completeFrame = z.strictObject({
  t: z.literal(FrameType.complete),
  id: reqId.optional(),
  taskId: taskIdSchema,
  attempt,
  result: frameValue.optional(),
});

export const failFrame = z.strictObject({
  t: z.literal(FrameType.fail),
  id: reqId.optional(),
  taskId: taskIdSchema,
  attempt,
  error: taskErrorSchema,
});

export const cancelRequestFrame = z.strictObject({
  t: z.literal(FrameType.cancel),
  id: reqId,
  taskId: taskIdSchema,
  reason: z.string().max(1024).optional(),
});

export const watchFrame = z.strictObject({
  t: z.literal(FrameType.watch),
  id: reqId,
  taskIds: z.array(taskIdSchema).min(1).max(10_000),
  /** Also forward progress updates. Default false. */
  progress: z.boolean().optional(),
});

export const drainRequestFrame = z.strictObject({
  t: z.literal(FrameType.drain),
  id: reqId.optional(),
});

export const clientFrameSchema = z.discriminatedUnion('t', [
  helloFrame,
  registerFrame,
  heartbeatFrame,
  submitFrame,
  submitManyFrame,
  progressFrame,
  completeFrame,
  failFrame,
  cancelRequestFrame,
  watchFrame,
  drainRequestFrame,
]);

export type HelloFrame = z.infer<typeof helloFrame>;
export type RegisterFrame = z.infer<typeof registerFrame>;
export type HeartbeatFrame = z.infer<typeof heartbeatFrame>;
export type SubmitFrame = z.infer<typeof submitFrame>;
export type SubmitManyFrame = z.infer<typeof submitManyFrame>;
export type ProgressFrame = z.infer<typeof progressFrame>;
export type CompleteFrame = z.infer<typeof completeFrame>;
export type FailFrame = z.infer<typeof failFrame>;
export type CancelRequestFrame = z.infer<typeof cancelRequestFrame>;
export type WatchFrame = z.infer<typeof watchFrame>;
export type DrainRequestFrame = z.infer<typeof drainRequestFrame>;
export type ClientFrame = z.infer<typeof clientFrameSchema>;

export const CLIENT_FRAME_TYPES: ReadonlySet<string> = new Set(
  clientFrameSchema.options.map((o) => o.shape.t.value),
);

// ---------------------------------------------------------------- hub -> client

export const welcomeFrame = z.strictObject({
  t: z.literal(FrameType.welcome),
  id: reqId,
  protocol: z.number().int(),
  sessionId: z.string(),
  role: z.enum(['worker', 'producer', 'admin']),
  hubVersion: z.string(),
  heartbeatMs: z.number().int(),
  maxFrameBytes: z.number().int(),
});

export const registeredFrame = z.strictObject({
  t: z.literal(FrameType.registered),
  id: reqId,
  workerId: z.string(),
  /** Leases from `running` the hub still honours. */
  resumed: z.array(taskIdSchema),
  /** Leases from `running` that are gone (the task was requeued or finished elsewhere): abort them. */
  dropped: z.array(taskIdSchema),
});

export const submittedFrame = z.strictObject({
  t: z.literal(FrameType.submitted),
  id: reqId,
  taskId: taskIdSchema,
  /** true when an idempotency key matched an existing task. */
  duplicate: z.boolean(),
});

export const submittedManyFrame = z.strictObject({
  t: z.literal(FrameType.submittedMany),
  id: reqId,
  taskIds: z.array(taskIdSchema),
  /** Indexes (into `tasks` of the request) whose idempotency key matched an existing task. */
  duplicates: z.array(z.number().int()),
});

export const taskFrame = z.strictObject({
  t: z.literal(FrameType.task),
  taskId: taskIdSchema,
  queue: z.string(),
  payload: z.unknown(),
  attempt,
  maxAttempts: z.number().int(),
  priority: z.enum(PRIORITY_NAMES as ['critical', 'high', 'normal', 'low']),
  /** 0 = no limit. */
  timeoutMs: z.number().int(),
  createdAt: z.number(),
});

export const cancelNoticeFrame = z.strictObject({
  t: z.literal(FrameType.cancel),
  taskId: taskIdSchema,
  attempt,
  /** cancelled | timeout today; clients should treat any other value like cancelled. */
  reason: z.string(),
});

export const progressNoticeFrame = z.strictObject({
  t: z.literal(FrameType.progress),
  taskId: taskIdSchema,
  value: z.unknown(),
});

export const resultFrame = z.strictObject({
  t: z.literal(FrameType.result),
  taskId: taskIdSchema,
  status: z.enum(['completed', 'dead', 'expired', 'cancelled']),
  result: z.unknown().optional(),
  error: z
    .strictObject({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    })
    .optional(),
  attempts: z.number().int(),
});

export const ackFrame = z.strictObject({
  t: z.literal(FrameType.ack),
  id: reqId,
});

export const errorFrame = z.strictObject({
  t: z.literal(FrameType.error),
  id: reqId.optional(),
  code: z.string(),
  message: z.string(),
  taskId: taskIdSchema.optional(),
});

export const drainNoticeFrame = z.strictObject({
  t: z.literal(FrameType.drain),
  reason: z.string(),
});

export const hubFrameSchema = z.union([
  welcomeFrame,
  registeredFrame,
  submittedFrame,
  submittedManyFrame,
  taskFrame,
  cancelNoticeFrame,
  progressNoticeFrame,
  resultFrame,
  ackFrame,
  errorFrame,
  drainNoticeFrame,
]);

export type WelcomeFrame = z.infer<typeof welcomeFrame>;
export type RegisteredFrame = z.infer<typeof registeredFrame>;
export type SubmittedFrame = z.infer<typeof submittedFrame>;
export type SubmittedManyFrame = z.infer<typeof submittedManyFrame>;
export type TaskFrame = z.infer<typeof taskFrame>;
export type CancelNoticeFrame = z.infer<typeof cancelNoticeFrame>;
export type ProgressNoticeFrame = z.infer<typeof progressNoticeFrame>;
export type ResultFrame = z.infer<typeof resultFrame>;
export type AckFrame = z.infer<typeof ackFrame>;
export type ErrorFrame = z.infer<typeof errorFrame>;
export type DrainNoticeFrame = z.infer<typeof drainNoticeFrame>;
export type HubFrame =
  | WelcomeFrame
  | RegisteredFrame
  | SubmittedFrame
  | SubmittedManyFrame
  | TaskFrame
  | CancelNoticeFrame
  | ProgressNoticeFrame
  | ResultFrame
  | AckFrame
  | ErrorFrame
  | DrainNoticeFrame;
