import type { PriorityLevel } from '../../protocol/index.js';
import type { BusMessage, Qos } from './bus-records.js';
import type { NodeCommandRecord, NodeRecord } from './node-records.js';
import type { QueueLimitSpec } from './queue-limits.js';
import type { ScheduleRecord } from './schedule-state.js';
import type { TaskRecord, WorkerRecord } from './records.js';
import type {
  ServiceStatusName,
  UserRecord,
  WorkspaceRecord,
  WorkspaceStatusName,
} from './workspace-records.js';

/**
 * What applying a command produced, for transports (push frames), the event stream and
 * metrics. Events reference live records: read them synchronously, copy what you keep.
 */
export type HubEvent =
  | { type: 'task.submitted'; task: TaskRecord }
  | { type: 'task.assigned'; task: TaskRecord; workerId: string }
  | { type: 'task.progress'; task: TaskRecord; value: unknown }
  | { type: 'task.completed'; task: TaskRecord; workerId: string }
  | { type: 'task.failed'; task: TaskRecord; workerId: string; retryAt: number }
  | { type: 'task.requeued'; task: TaskRecord; reason: string }
  | { type: 'task.dead'; task: TaskRecord }
  | { type: 'task.expired'; task: TaskRecord }
  | { type: 'task.cancelled'; task: TaskRecord }
  | { type: 'task.retried'; task: TaskRecord }
  | { type: 'task.evicted'; taskId: string; queue: string }
  /**
   * Tell this worker to abort an attempt it may still be running. A lease lost to a missed
   * heartbeat or the disconnect grace has no such notice: the worker's connection is gone
   * (or closed with 4010), so there is nobody to tell.
   */
  | {
      type: 'lease.revoked';
      taskId: string;
      workerId: string;
      attempt: number;
      reason: 'cancelled' | 'timeout';
    }
  | { type: 'worker.registered'; worker: WorkerRecord; resumed: string[]; dropped: string[] }
  | { type: 'worker.disconnected'; worker: WorkerRecord }
  | { type: 'worker.draining'; worker: WorkerRecord }
  | {
      type: 'worker.removed';
      worker: WorkerRecord;
      reason: 'unregistered' | 'heartbeat-timeout' | 'grace-expired';
    }
  | { type: 'queue.paused' | 'queue.resumed'; queue: string }
  | {
      type: 'schedule.created' | 'schedule.paused' | 'schedule.resumed' | 'schedule.removed';
      schedule: ScheduleRecord;
    }
  /** A schedule fired for occurrence `at`: `taskId` made, or none (missed and skipped). */
  | {
      type: 'schedule.fired';
      schedule: ScheduleRecord;
      at: number;
      taskId: string | undefined;
      missed: boolean;
    }
  /** The queue's limits were set (`limits`: {} when cleared). */
  | { type: 'queue.limited'; queue: string; limits: QueueLimitSpec }
  /** A token (or every token of a subject up to a time) was revoked: close what it opened. */
  | { type: 'token.revoked'; tokenId?: string; subject?: string; issuedBefore?: number }
  | { type: 'queue.purged'; queue: string; count: number }
  | { type: 'node.registered' | 'node.updated' | 'node.removed' | 'node.status'; node: NodeRecord }
  | {
      type: 'command.created' | 'command.started' | 'command.finished';
      command: NodeCommandRecord;
    }
  /** A message for one subscription of one connection. */
  | {
      type: 'bus.deliver';
      session: string;
      sid: number;
      qos: Qos;
      id: string | undefined;
      topic: string;
      data: unknown;
      priority: PriorityLevel;
      from: string | undefined;
      publishedAt: number;
      attempt: number;
      replyTo: string | undefined;
    }
  | { type: 'user.registered' | 'user.key'; user: UserRecord }
  /** A workspace was created (`from` undefined) or changed status. */
  | {
      type: 'workspace.status';
      workspace: WorkspaceRecord;
      from: WorkspaceStatusName | undefined;
    }
  /** A service of a workspace changed status (`workspace.serviceStates[service]`). */
  | {
      type: 'workspace.service';
      workspace: WorkspaceRecord;
      service: string;
      from: ServiceStatusName;
    }
  /** A stored message's TTL ran out before this subscription got it. */
  | { type: 'bus.expired'; message: BusMessage; subscription: string };

export type HubEventType = HubEvent['type'];
