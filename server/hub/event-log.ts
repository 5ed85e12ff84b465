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

export type EventGap = 'restarted' | 'too-old' | 'unknown';

/**
 * The first id of a process, less one: the start time in microseconds. Ids then stay above
 * every id of an earlier process with nothing stored, as long as the clock does not step
 * back and that process averaged under 1,000 events a millisecond; and they stay exact in
 * a double (2^53 is reached in the year 2255).
 */
export function timeBase(now = Date.now()): number {
  return now * 1000;
}

/**
 * Task events that carry only queue, task, worker and attempt, the three every task goes
 * through. The ring keeps them as columns rather than objects: at 5,000 tasks/s the ring
 * holds the last two seconds of events, long enough that every event object survived a
 * young-generation GC and was copied (often twice), which is most of what made those pauses
 * long. Columns hold references to strings the task record already owns and numbers in
 * typed arrays, so recording an event allocates nothing.
 */
const COMPACT_TYPES = ['task.submitted', 'task.assigned', 'task.completed'] as const;
type CompactType = (typeof COMPACT_TYPES)[number];
const COMPACT_INDEX: ReadonlyMap<string, number> = new Map(
  COMPACT_TYPES.map((t, i) => [t, i + 1] as const),
);

/**
 * The recent history of lifecycle events (a ring buffer, so Last-Event-ID resume works
 * within it) and the live subscribers of the event stream. Event objects are built only
 * for live subscribers and for a resume; see COMPACT_TYPES for how the ring stores them.
 */
export class EventLog {
  /** Ids of this process are base+1, base+2, …; see `timeBase`. */
  readonly base: number;
  private nextId: number;
  /**
   * The slot the next event goes to: (nextId - base - 1) % capacity, kept as a small integer.
   * Ids are beyond 2^31 (see `timeBase`), and `id % capacity` on them is a floating-point
   * modulo, three times per task on the hot path.
   */
  private nextSlot = 0;
  private readonly listeners = new Set<StreamListener>();
  /** Event id held by each slot (0: empty). */
  private readonly ids: Float64Array;
  /** 0: the slot holds an object in `objects`; else 1 + index into COMPACT_TYPES. */
  private readonly kinds: Uint8Array;
  private readonly ats: Float64Array;
  private readonly attempts: Uint32Array;
  private readonly queues: (string | undefined)[];
  private readonly taskIds: (string | undefined)[];
  private readonly workerIds: (string | undefined)[];
  private readonly objects: (StreamEvent | undefined)[];

  constructor(
    private readonly capacity = 10_000,
    base = timeBase(),
  ) {
    this.base = base;
    this.nextId = base + 1;
    this.ids = new Float64Array(capacity);
    this.kinds = new Uint8Array(capacity);
    this.ats = new Float64Array(capacity);
    this.attempts = new Uint32Array(capacity);
    this.queues = new Array<string | undefined>(capacity).fill(undefined);
    this.taskIds = new Array<string | undefined>(capacity).fill(undefined);
    this.workerIds = new Array<string | undefined>(capacity).fill(undefined);
    this.objects = new Array<StreamEvent | undefined>(capacity).fill(undefined);
  }

  get lastId(): number {
    return this.nextId - 1;
  }

  /** The oldest id the buffer still holds (lastId + 1 while it holds none). */
  get firstId(): number {
    return Math.max(this.base + 1, this.nextId - this.capacity);
  }

  /**
   * Why a resume after `afterId` cannot be complete, or undefined when it can: the id is
   * from before this process started (`restarted`: the events between are gone), older than
   * the buffer (`too-old`), or newer than anything here (`unknown`: another hub's id).
   */
  gapAfter(afterId: number): EventGap | undefined {
    if (afterId > this.lastId) return 'unknown';
    if (afterId >= this.firstId - 1) return undefined;
    return afterId <= this.base ? 'restarted' : 'too-old';
  }

  publishHubEvent(event: HubEvent, now: number): void {
    const kind = COMPACT_INDEX.get(event.type);
    if (kind !== undefined && !(event.type === 'task.submitted' && event.task.error)) {
      const task = (event as Extract<HubEvent, { type: CompactType }>).task;
      // A submitted task has no worker yet (the task record may already name the worker it was
      // pushed to in the same command).
      const workerId =
        event.type === 'task.submitted' ? undefined : (event as { workerId: string }).workerId;
      const id = this.nextId++;
      const slot = this.takeSlot();
      this.ids[slot] = id;
      this.kinds[slot] = kind;
      this.ats[slot] = now;
      this.attempts[slot] = task.attempt;
      this.queues[slot] = task.queue;
      this.taskIds[slot] = task.id;
      this.workerIds[slot] = workerId;
      this.objects[slot] = undefined;
      if (this.listeners.size > 0) {
        const e = this.materialize(slot);
        for (const l of this.listeners) l(e);
      }
      return;
    }
    const e = toStreamEvent(event, now);
    if (e) this.publish(e);
  }

  /** Takes ownership of `event` and numbers it. */
  publish(event: StreamEvent): StreamEvent {
    event.id = this.nextId++;
    const slot = this.takeSlot();
    this.ids[slot] = event.id;
    this.kinds[slot] = 0;
    this.objects[slot] = event;
    this.queues[slot] = this.taskIds[slot] = this.workerIds[slot] = undefined;
    for (const l of this.listeners) l(event);
    return event;
  }

  /** Events with id > afterId still in the buffer, oldest first. */
  since(afterId: number): StreamEvent[] {
    const out: StreamEvent[] = [];
    const first = Math.max(afterId + 1, this.nextId - this.capacity);
    for (let id = first; id < this.nextId; id++) {
      const slot = (id - this.base - 1) % this.capacity;
      if (this.ids[slot] !== id) continue;
      out.push(this.kinds[slot] === 0 ? this.objects[slot]! : this.materialize(slot));
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

  private takeSlot(): number {
    const slot = this.nextSlot;
    this.nextSlot = slot + 1 === this.capacity ? 0 : slot + 1;
    return slot;
  }

  private materialize(slot: number): StreamEvent {
    const e: StreamEvent = {
      id: this.ids[slot]!,
      type: COMPACT_TYPES[this.kinds[slot]! - 1]!,
      at: this.ats[slot]!,
      queue: this.queues[slot]!,
      taskId: this.taskIds[slot]!,
      attempt: this.attempts[slot]!,
    };
    const workerId = this.workerIds[slot];
    if (workerId !== undefined) e.workerId = workerId;
    return e;
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
      if (t.workerId && event.type !== 'task.submitted') e.workerId = t.workerId;
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
    case 'schedule.created':
    case 'schedule.paused':
    case 'schedule.resumed':
    case 'schedule.removed':
      return {
        id: 0,
        type: event.type,
        at,
        queue: event.schedule.task.queue,
        data: { schedule: event.schedule.name },
      };
    case 'schedule.fired':
      return {
        id: 0,
        type: event.type,
        at,
        queue: event.schedule.task.queue,
        ...(event.taskId !== undefined ? { taskId: event.taskId } : {}),
        data: { schedule: event.schedule.name, occurrence: event.at, missed: event.missed },
      };
    case 'queue.limited':
      return { id: 0, type: event.type, at, queue: event.queue, data: { limits: event.limits } };
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
    case 'workspace.status': {
      // created, running, stopped, failed, deleted: what a workspace's owner waits for.
      const ws = event.workspace;
      return {
        id: 0,
        type: event.from === undefined ? 'workspace.created' : `workspace.${ws.status}`,
        at,
        data: {
          workspaceId: ws.id,
          user: ws.user,
          name: ws.name,
          nodeId: ws.nodeId,
          status: ws.status,
          ...(event.from === undefined ? {} : { from: event.from }),
          ...(ws.lastError ? { lastError: ws.lastError } : {}),
        },
      };
    }
    case 'workspace.service': {
      const ws = event.workspace;
      const state = ws.serviceStates[event.service]!;
      return {
        id: 0,
        type: event.type,
        at,
        data: {
          workspaceId: ws.id,
          user: ws.user,
          service: event.service,
          status: state.status,
          from: event.from,
          ...(state.lastError ? { lastError: state.lastError } : {}),
        },
      };
    }
    default:
      // progress, lease.revoked and evictions are too chatty or internal for the stream.
      return undefined;
  }
}
