import type { HubEvent } from '../core/index.js';

/** One lifecycle event as the event stream shows it. Small and flat: no payloads. */
export interface StreamEvent {
  id: number;
  type: string;
  at: number;
  queue?: string;
  taskId?: string;
  workerId?: string;
  attempt?: number;
  reason?: string;
  error?: { code: string; message: string };
  data?: Record<string, unknown>;
}

export type StreamListener = (event: StreamEvent) => void;

/**
 * The recent history of lifecycle events (a ring buffer, so Last-Event-ID resume works
 * within it) and the live subscribers of the event stream.
 */
export class EventLog {
  private readonly ring: (StreamEvent | undefined)[];
  private nextId = 1;
  private readonly listeners = new Set<StreamListener>();

  constructor(private readonly capacity = 10_000) {
    this.ring = new Array<StreamEvent | undefined>(capacity);
  }

  get lastId(): number {
    return this.nextId - 1;
  }

  publishHubEvent(event: HubEvent, now: number): void {
    const e = toStreamEvent(event, now);
    if (e) this.publish(e);
  }

  /** Takes ownership of `event` and numbers it (no copy: one object per event, not two). */
  publish(event: StreamEvent): StreamEvent {
    event.id = this.nextId++;
    this.ring[event.id % this.capacity] = event;
    for (const l of this.listeners) l(event);
    return event;
  }

  /** Events with id > afterId still in the buffer, oldest first. */
  since(afterId: number): StreamEvent[] {
    const out: StreamEvent[] = [];
    const first = Math.max(afterId + 1, this.nextId - this.capacity);
    for (let id = first; id < this.nextId; id++) {
      const e = this.ring[id % this.capacity];
      if (e && e.id === id) out.push(e);
    }
    return out;
  }

  subscribe(listener: StreamListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}

/** `id` is filled in by publish(); it comes first so the JSON reads id-first. */
function toStreamEvent(event: HubEvent, at: number): StreamEvent | undefined {
  switch (event.type) {
    case 'task.submitted':
    case 'task.dead':
    case 'task.expired':
    case 'task.cancelled':
    case 'task.retried':
    case 'task.completed': {
      const t = event.task;
      const e: StreamEvent = {
        id: 0,
        type: event.type,
        at,
        queue: t.queue,
        taskId: t.id,
        attempt: t.attempt,
      };
      if (t.workerId) e.workerId = t.workerId;
      if (event.type === 'task.completed') e.workerId = event.workerId;
      if (t.error && event.type !== 'task.completed')
        e.error = { code: t.error.code, message: t.error.message };
      return e;
    }
    case 'task.assigned':
      return {
        id: 0,
        type: event.type,
        at,
        queue: event.task.queue,
        taskId: event.task.id,
        workerId: event.workerId,
        attempt: event.task.attempt,
      };
    case 'task.failed':
      return {
        id: 0,
        type: event.type,
        at,
        queue: event.task.queue,
        taskId: event.task.id,
        workerId: event.workerId,
        attempt: event.task.attempt,
        ...(event.task.error
          ? { error: { code: event.task.error.code, message: event.task.error.message } }
          : {}),
        data: { retryAt: event.retryAt },
      };
    case 'task.requeued':
      return {
        id: 0,
        type: event.type,
        at,
        queue: event.task.queue,
        taskId: event.task.id,
        attempt: event.task.attempt,
        reason: event.reason,
      };
    case 'worker.registered':
    case 'worker.disconnected':
    case 'worker.draining':
      return {
        id: 0,
        type: event.type,
        at,
        workerId: event.worker.id,
        data: { queues: event.worker.queues },
      };
    case 'worker.removed':
      return {
        id: 0,
        type: event.type,
        at,
        workerId: event.worker.id,
        reason: event.reason,
        data: { queues: event.worker.queues },
      };
    case 'queue.paused':
    case 'queue.resumed':
      return { id: 0, type: event.type, at, queue: event.queue };
    case 'queue.purged':
      return { id: 0, type: event.type, at, queue: event.queue, data: { count: event.count } };
    case 'node.registered':
    case 'node.updated':
    case 'node.removed':
    case 'node.status':
      return {
        id: 0,
        type: event.type,
        at,
        data: {
          nodeId: event.node.id,
          name: event.node.name,
          status: event.node.status,
          ...(event.node.lastError ? { lastError: event.node.lastError } : {}),
        },
      };
    case 'command.created':
    case 'command.started':
    case 'command.finished': {
      const c = event.command;
      return {
        id: 0,
        type: event.type,
        at,
        data: {
          commandId: c.id,
          nodeId: c.nodeId,
          type: c.type,
          action: c.action,
          status: c.status,
          exitCode: c.exitCode,
          durationMs: c.durationMs,
        },
      };
    }
    default:
      // progress, lease.revoked and evictions are too chatty or internal for the stream.
      return undefined;
  }
}
