import type { FlowPolicyName, TaskSpec } from '../../protocol/index.js';
import { FEDERATION_COMMANDS, type FederationCommand } from './federation-commands.js';
import type { CommandStatusName, NodeRecord, NodeStatusName } from './node-records.js';
import type { PriorityLevel } from '../../protocol/index.js';
import type { Qos } from './bus-records.js';
import type { QueueLimitSpec } from './queue-limits.js';
import type { TaskFailure, WorkerKind } from './records.js';
import { SCHEDULE_COMMANDS, type ScheduleCommand } from './schedule-commands.js';
import { WORKSPACE_COMMANDS, type WorkspaceCommand } from './workspace-commands.js';

/**
 * What a register may name the worker's kind. 'ws' (push) and 'http' (pull) are the names it
 * had when kinds were named after transports; still accepted so that callers written against
 * them (tests, scripts, anything replaying old commands) keep working. The record says push/pull.
 */
export type RegisterWorkerKind = WorkerKind | 'ws' | 'http';

/**
 * Every change to hub state is one of these commands. `now` is always passed in: the core
 * never reads a clock. Commands marked DURABLE are written to the WAL (either because a
 * transport issued them or because the core derived them, see `Effects.journal`) and are
 * replayed through `apply` on recovery; the others concern live connections only.
 */

// ---- durable

export interface SubmitCommand {
  type: 'task.submit';
  now: number;
  /** Ids are chosen by the caller so that replay reproduces them. */
  tasks: { id: string; spec: TaskSpec }[];
  submitter?: string;
}
/**
 * A flow (docs/flows.md): a tree of tasks created together or not at all. `tasks` is in
 * pre-order: each task's `parent` is the index of an earlier entry (none for the root, at
 * index 0). A task that some entry names as parent waits for its children; `policy` says
 * what a child's failure does to it.
 */
export interface FlowSubmitCommand {
  type: 'flow.submit';
  now: number;
  tasks: {
    id: string;
    spec: TaskSpec;
    parent?: number;
    name?: string;
    policy?: FlowPolicyName;
  }[];
  submitter?: string;
}
export interface LeaseCommand {
  type: 'task.lease';
  now: number;
  taskId: string;
  workerId: string;
  attempt: number;
}
export interface CompleteCommand {
  type: 'task.complete';
  now: number;
  taskId: string;
  workerId: string;
  attempt: number;
  result?: unknown;
}
export interface FailCommand {
  type: 'task.fail';
  now: number;
  taskId: string;
  workerId: string;
  attempt: number;
  error: TaskFailure;
  retryable: boolean;
}
/** The lease was lost without a verdict (worker vanished, hub restarted): back to the front. */
export interface RequeueCommand {
  type: 'task.requeue';
  now: number;
  taskId: string;
  attempt: number;
  reason: string;
}
/** A delayed task (delayMs, runAt, retry backoff) became runnable. Derived by `tick`. */
export interface PromoteCommand {
  type: 'task.promote';
  now: number;
  taskId: string;
}
export interface ExpireCommand {
  type: 'task.expire';
  now: number;
  taskId: string;
}
export interface CancelCommand {
  type: 'task.cancel';
  now: number;
  taskId: string;
  reason?: string;
}
/**
 * Undo a submit the hub could not make durable: the producer was told nothing was accepted,
 * so the tasks go as if they had never been (no cancelled record left behind). A lease
 * already handed out is revoked.
 */
export interface RetractCommand {
  type: 'task.retract';
  now: number;
  taskIds: string[];
}
/** Operator retry of a dead task: attempts start over. */
export interface RetryCommand {
  type: 'task.retry';
  now: number;
  taskId: string;
}
/**
 * One bulk action on tasks of a queue (docs/dead-letters.md): cancel unfinished ones, retry
 * or purge dead ones. The gateway names the tasks (chosen by a filter), so replay acts on
 * exactly those; at most MAX_BULK_TASKS of them.
 */
export interface TaskBulkCommand {
  type: 'task.bulk';
  now: number;
  queue: string;
  action: 'cancel' | 'retry' | 'purge';
  taskIds: string[];
  /** cancel: the reason each task's error gives. */
  reason?: string;
}
export interface QueuePauseCommand {
  type: 'queue.pause' | 'queue.resume';
  now: number;
  queue: string;
}
export interface QueuePurgeDeadCommand {
  type: 'queue.purge-dead';
  now: number;
  queue: string;
}
/** Set a queue's rate, concurrency and group limits, replacing the ones it had ({}: none). */
export interface QueueLimitCommand {
  type: 'queue.limit';
  now: number;
  queue: string;
  limits: QueueLimitSpec;
}
/** Evict finished tasks whose result retention has passed. Issued periodically by the hub. */
export interface GcCommand {
  type: 'gc';
  now: number;
}
/**
 * Revoke one token by id, or every token of a subject issued at or before `issuedBefore`
 * (Unix ms). Exactly one of `tokenId` and `subject` is set.
 */
export interface TokenRevokeCommand {
  type: 'token.revoke';
  now: number;
  tokenId?: string;
  subject?: string;
  issuedBefore?: number;
  reason?: string;
}
/** After replay: every lease held at crash time is lost; requeue with the attempt counted. */
export interface RecoverCommand {
  type: 'recover';
  now: number;
}

// ---- nodes (durable)

export type NodeSpec = Omit<
  NodeRecord,
  'status' | 'lastError' | 'lastSeen' | 'createdAt' | 'updatedAt'
>;

export type NodeCommand =
  | { type: 'node.register'; now: number; node: NodeSpec }
  | { type: 'node.update'; now: number; nodeId: string; patch: Partial<Omit<NodeSpec, 'id'>> }
  | { type: 'node.remove'; now: number; nodeId: string }
  | { type: 'node.status'; now: number; nodeId: string; status: NodeStatusName; error?: string }
  | {
      type: 'node.command';
      now: number;
      command: {
        id: string;
        nodeId: string;
        type: string;
        action: string;
        args: Record<string, unknown>;
        provider: string | undefined;
        agent?: string;
      };
    }
  | { type: 'command.started'; now: number; commandId: string }
  | {
      type: 'command.result';
      now: number;
      commandId: string;
      status: CommandStatusName;
      exitCode: number | null;
      stdout: string;
      stderr: string;
      error?: string;
      durationMs?: number;
    };

// ---- message bus (durable: stored messages, durable subscriptions, their acks)

/** An at-least-once or exactly-once message, stored for every matching subscription. */
export interface BusPublishCommand {
  type: 'bus.publish';
  now: number;
  message: {
    id: string;
    topic: string;
    data: unknown;
    priority: PriorityLevel;
    qos: Exclude<Qos, 'at-most-once'>;
    ttlMs?: number;
    from?: string;
  };
  /** The publisher chose the id: a second publish of it within the window is a duplicate. */
  dedup: boolean;
}
export interface BusConsumerCreateCommand {
  type: 'bus.consumer.create';
  now: number;
  name: string;
  pattern: string;
  owner?: string;
}
export interface BusConsumerDeleteCommand {
  type: 'bus.consumer.delete';
  now: number;
  name: string;
}
/** A durable subscription acked a message (journaled form of BusAckCommand). */
export interface BusAckedCommand {
  type: 'bus.acked';
  now: number;
  consumer: string;
  msgId: string;
}
/** A stored message's TTL ran out. Derived by `tick`. */
export interface BusExpireCommand {
  type: 'bus.expire';
  now: number;
  msgId: string;
}

/**
 * Several operations applied all together or not at all, journaled as one record
 * (transaction.ts). Members carry the transaction's `now`.
 */
export interface TxnCommand {
  type: 'txn';
  now: number;
  ops: (SubmitCommand | CancelCommand | BusPublishCommand)[];
}

export type BusDurableCommand =
  | BusPublishCommand
  | BusConsumerCreateCommand
  | BusConsumerDeleteCommand
  | BusAckedCommand
  | BusExpireCommand;

// ---- volatile

export interface BusSubscribeCommand {
  type: 'bus.subscribe';
  now: number;
  session: string;
  sid: number;
  pattern: string;
  group?: string;
  /** A durable subscription's name: it keeps stored messages while nobody is subscribed. */
  durable?: string;
  maxInFlight: number;
  /** The subscriber's identity (owner of a durable subscription it creates). */
  identity?: string;
  /** Admins may bind to and delete anybody's durable subscriptions. */
  admin?: boolean;
}
export interface BusUnsubscribeCommand {
  type: 'bus.unsubscribe';
  now: number;
  session: string;
  sid: number;
  /** Delete a durable subscription and what it holds, instead of only leaving it. */
  forget?: boolean;
  identity?: string;
  admin?: boolean;
}
export interface BusSessionClosedCommand {
  type: 'bus.session.closed';
  now: number;
  session: string;
}
/** An at-most-once message or a request: delivered to members connected now, not stored. */
export interface BusEmitCommand {
  type: 'bus.emit';
  now: number;
  id: string | undefined;
  topic: string;
  data: unknown;
  priority: PriorityLevel;
  from?: string;
  /** A request: where the reply goes (opaque to the core). Nobody subscribed -> NO_RESPONDERS. */
  replyTo?: string;
}
export interface BusAckCommand {
  type: 'bus.ack';
  now: number;
  session: string;
  sid: number;
  msgId: string;
  /** The handler failed: deliver it again (to another member of a group, if any). */
  nack?: boolean;
}

export type BusVolatileCommand =
  | BusSubscribeCommand
  | BusUnsubscribeCommand
  | BusSessionClosedCommand
  | BusEmitCommand
  | BusAckCommand;

export interface RegisterWorkerCommand {
  type: 'worker.register';
  now: number;
  workerId: string;
  kind: RegisterWorkerKind;
  session?: string;
  name?: string;
  queues: string[];
  capabilities: string[];
  concurrency: number;
  /** Leases the worker says it still runs (after a reconnect). */
  running?: { taskId: string; attempt: number }[];
  /**
   * The identity registering (see Grant.identity). A worker id belongs to whoever first
   * registered it: a register by anyone else is refused while the record exists.
   */
  owner?: string;
}
export interface WorkerSimpleCommand {
  type: 'worker.heartbeat' | 'worker.disconnect' | 'worker.drain' | 'worker.unregister';
  now: number;
  workerId: string;
  /** For disconnect: only act if the worker is still bound to this session. */
  session?: string;
}
export interface ProgressCommand {
  type: 'task.progress';
  now: number;
  taskId: string;
  workerId: string;
  attempt: number;
  value: unknown;
}
/** An HTTP worker asks for work: lease up to `max` tasks to it now. */
export interface PullCommand {
  type: 'worker.pull';
  now: number;
  workerId: string;
  max: number;
}
export interface TickCommand {
  type: 'tick';
  now: number;
}

export type DurableCommand =
  | SubmitCommand
  | FlowSubmitCommand
  | LeaseCommand
  | CompleteCommand
  | FailCommand
  | RequeueCommand
  | PromoteCommand
  | ExpireCommand
  | CancelCommand
  | RetractCommand
  | RetryCommand
  | TaskBulkCommand
  | QueuePauseCommand
  | QueuePurgeDeadCommand
  | QueueLimitCommand
  | GcCommand
  | RecoverCommand
  | NodeCommand
  | TokenRevokeCommand
  | BusDurableCommand
  | TxnCommand
  | FederationCommand
  | WorkspaceCommand
  | ScheduleCommand;

export type VolatileCommand =
  | RegisterWorkerCommand
  | WorkerSimpleCommand
  | ProgressCommand
  | PullCommand
  | TickCommand
  | BusVolatileCommand;

export type Command = DurableCommand | VolatileCommand;

/** Commands that are journaled as issued (the rest are journaled only through what they derive). */
export const DIRECTLY_DURABLE: ReadonlySet<Command['type']> = new Set<Command['type']>([
  'task.submit',
  'flow.submit',
  'task.complete',
  'task.fail',
  'task.cancel',
  'task.retract',
  'task.retry',
  'task.bulk',
  'queue.pause',
  'queue.resume',
  'queue.purge-dead',
  'queue.limit',
  'gc',
  'node.register',
  'node.update',
  'node.remove',
  'node.status',
  'node.command',
  'command.started',
  'command.result',
  'token.revoke',
  'bus.publish',
  'bus.consumer.delete',
  'txn',
  ...FEDERATION_COMMANDS,
  ...WORKSPACE_COMMANDS,
  ...SCHEDULE_COMMANDS,
]);
