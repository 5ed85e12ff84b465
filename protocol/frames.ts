import * as z from 'zod';
import { flowChildSchema, flowSchema } from './flow-spec.js';
import { FrameType } from './frame-types.js';
import { PRIORITY_NAMES } from './priority.js';
import { patternSchema, topicSchema } from './subjects.js';
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

// ---------------------------------------------------------------- message bus, client -> hub

const sid = z.number().int().min(1).max(0xffffffff);
const priorityName = z.enum(PRIORITY_NAMES as ['critical', 'high', 'normal', 'low']);
/**
 * Message ids chosen by publishers (exactly-once dedup) or by the hub. No line break or NUL:
 * an id is the `id:` line of a Server-Sent Event, which one would end or corrupt.
 */
export const messageIdSchema = z
  .string()
  .min(1)
  .max(128)
  .refine((s) => !/[\r\n]/.test(s) && !s.includes('\u0000'), 'may not contain a line break or NUL');
const busName = nameSchema;

export const subscribeFrame = z.strictObject({
  t: z.literal(FrameType.subscribe),
  id: reqId,
  /** This connection's id for the subscription, chosen by the client; deliveries carry it. */
  sid,
  pattern: patternSchema,
  /** Queue group: each message goes to one member of the group. */
  group: busName.optional(),
  /** Durable name: stored messages wait for it across reconnects and restarts. */
  durable: busName.optional(),
  maxInFlight: z.number().int().min(1).max(10_000).optional(),
});

export const unsubscribeFrame = z.strictObject({
  t: z.literal(FrameType.unsubscribe),
  id: reqId.optional(),
  sid,
  /** Delete a durable subscription and what it holds, instead of leaving it. */
  forget: z.boolean().optional(),
});

/** What a message is published with, in a `publish` frame and in a transaction member. */
const publishFields = z.strictObject({
  topic: topicSchema,
  data: frameValue.optional(),
  qos: z.enum(['at-most-once', 'at-least-once', 'exactly-once']).optional(),
  priority: priorityName.optional(),
  ttlMs: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400_000)
    .optional(),
  /** The publisher's message id (exactly-once: deduplicated within the hub's window). */
  msgId: messageIdSchema.optional(),
});

export const publishFrame = publishFields.extend({
  t: z.literal(FrameType.publish),
  /** With an id the hub answers `published` (stored messages: once durable). */
  id: reqId.optional(),
});

export const requestFrame = z.strictObject({
  t: z.literal(FrameType.request),
  id: reqId,
  topic: topicSchema,
  data: frameValue.optional(),
  priority: priorityName.optional(),
  timeoutMs: z.number().int().min(1).max(300_000),
});

export const replyFrame = z.strictObject({
  t: z.literal(FrameType.reply),
  /** The `replyTo` of the request's message. */
  to: z.string().min(1).max(128),
  data: frameValue.optional(),
  error: z.strictObject({ code: z.string().max(64), message: z.string().max(4096) }).optional(),
});

export const msgAckFrame = z.strictObject({
  t: z.literal(FrameType.msgAck),
  sid,
  msgId: messageIdSchema,
  /** The handler failed: deliver it again (to another member of a group, if any). */
  nack: z.boolean().optional(),
});

export const sendFrame = z.strictObject({
  t: z.literal(FrameType.send),
  id: reqId.optional(),
  /** A worker id, or a connection's session id. */
  to: z.string().min(1).max(128),
  data: frameValue.optional(),
});

/** One member of a transaction: exactly one of submit, cancel, publish. */
export const txnOpSchema = z.union([
  z.strictObject({ submit: frameTaskSpec }),
  z.strictObject({
    cancel: z.strictObject({ taskId: taskIdSchema, reason: z.string().max(1024).optional() }),
  }),
  z.strictObject({
    publish: publishFields.extend({
      /** Stored guarantees only: a transaction is one durable record. Default at-least-once. */
      qos: z.enum(['at-least-once', 'exactly-once']).optional(),
    }),
  }),
]);

/** Submits, cancels and stored publishes applied all together or not at all. */
export const txnFrame = z.strictObject({
  t: z.literal(FrameType.txn),
  id: reqId,
  ops: z.array(txnOpSchema).min(1).max(1000),
});

/**
 * A flow: one tree of tasks created together or not at all (docs/flows.md). Payloads meet
 * the HTTP body rule here too (valueSchema): a flow is not a hot path.
 */
export const flowFrame = z.strictObject({
  t: z.literal(FrameType.flow),
  id: reqId,
  flow: flowSchema,
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
  subscribeFrame,
  unsubscribeFrame,
  publishFrame,
  requestFrame,
  replyFrame,
  msgAckFrame,
  sendFrame,
  txnFrame,
  flowFrame,
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
export type SubscribeFrame = z.infer<typeof subscribeFrame>;
export type UnsubscribeFrame = z.infer<typeof unsubscribeFrame>;
export type PublishFrame = z.infer<typeof publishFrame>;
export type RequestFrame = z.infer<typeof requestFrame>;
export type ReplyFrame = z.infer<typeof replyFrame>;
export type MsgAckFrame = z.infer<typeof msgAckFrame>;
export type SendFrame = z.infer<typeof sendFrame>;
export type TxnOp = z.infer<typeof txnOpSchema>;
export type TxnFrame = z.infer<typeof txnFrame>;
export type FlowFrame = z.infer<typeof flowFrame>;
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
  /** A flow's parent: the outcome of each of its children, in the order they were given. */
  children: z.array(flowChildSchema).optional(),
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

// ---------------------------------------------------------------- message bus, hub -> client

export const messageFrame = z.strictObject({
  t: z.literal(FrameType.message),
  /** The subscription it is for; 0 for a direct message (`send`). */
  sid: z.number().int().min(0),
  topic: z.string(),
  data: z.unknown().optional(),
  /** Stored messages and messages published with an id. */
  id: z.string().optional(),
  /** A stored message: ack it (`msg_ack`) once handled, or it is delivered again. */
  ack: z.literal(true).optional(),
  /** Deliveries of this message to this subscription so far (absent: 1). */
  attempt: z.number().int().min(2).optional(),
  /** Absent: normal. */
  priority: priorityName.optional(),
  /** The publisher: a worker id or a session id. */
  from: z.string().optional(),
  /** A request: answer with `reply` to this address. */
  replyTo: z.string().optional(),
  /** When it was published, Unix ms. */
  at: z.number(),
});

export const publishedFrame = z.strictObject({
  t: z.literal(FrameType.published),
  id: reqId,
  msgId: z.string().optional(),
  /** Subscriptions it went to (at-most-once) or was stored for. */
  subscriptions: z.number().int(),
  duplicate: z.boolean(),
});

export const responseFrame = z.strictObject({
  t: z.literal(FrameType.response),
  id: reqId,
  data: z.unknown().optional(),
  /** The responder's identity (worker id or session id). */
  from: z.string().optional(),
});

/** A transaction applied: each member's outcome, in order. */
export const committedFrame = z.strictObject({
  t: z.literal(FrameType.committed),
  id: reqId,
  results: z.array(
    z.union([
      z.strictObject({ taskId: taskIdSchema, duplicate: z.boolean() }),
      z.strictObject({ taskId: taskIdSchema, cancelled: z.literal(true) }),
      z.strictObject({
        msgId: z.string(),
        subscriptions: z.number().int(),
        duplicate: z.boolean(),
      }),
    ]),
  ),
});

/** A flow created: its task ids in pre-order (each parent, then its children's subtrees). */
export const flowSubmittedFrame = z.strictObject({
  t: z.literal(FrameType.flowSubmitted),
  id: reqId,
  taskIds: z.array(taskIdSchema),
  /** The root's idempotency key named an existing task: nothing was created, taskIds is [it]. */
  duplicate: z.boolean(),
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
  messageFrame,
  publishedFrame,
  responseFrame,
  committedFrame,
  flowSubmittedFrame,
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
export type MessageFrame = z.infer<typeof messageFrame>;
export type PublishedFrame = z.infer<typeof publishedFrame>;
export type ResponseFrame = z.infer<typeof responseFrame>;
export type CommittedFrame = z.infer<typeof committedFrame>;
export type FlowSubmittedFrame = z.infer<typeof flowSubmittedFrame>;
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
  | DrainNoticeFrame
  | MessageFrame
  | PublishedFrame
  | ResponseFrame
  | CommittedFrame
  | FlowSubmittedFrame;
