import {
  ErrorCode,
  FrameType,
  type BackoffSpec,
  type CommittedFrame,
  type FlowPolicyName,
  type FlowSubmittedFrame,
  type HubFrame,
  type PriorityName,
  type ProgressNoticeFrame,
  type ResultFrame,
  type SubmittedFrame,
  type SubmittedManyFrame,
  type TaskSpec,
} from '../protocol/index.js';
import { Connection, type ConnectionStatus, type ReconnectOptions } from './connection.js';
import type { ConnectionState, ProducerStats } from './connection-status.js';
import { ConnectionClosedError, HubError, TaskFailedError, TimeoutError } from './errors.js';
import type { PublishOptions } from './bus-client.js';
import { MessagingClient } from './messaging-client.js';
import type { HubUrls } from './hub-urls.js';
import type { HttpFallbackOptions } from './http-fallback.js';

export interface ProducerOptions {
  /**
   * ws://host:9501, or wss://host:9501 when the hub has server.tls. Several hubs of one
   * cluster: an array (or one comma-separated string); a connect that fails moves on to the
   * next at once, and a lost session reconnects to the same hub first, then the others.
   */
  url: HubUrls;
  token?: string;
  /**
   * How long one hub may take to accept the connection before the next URL is tried (a
   * stopped or blackholed hub never answers). Default 10,000 ms.
   */
  connectTimeoutMs?: number;
  reconnect?: ReconnectOptions;
  /** Work over the hub's HTTP routes when WebSocket upgrades are refused (docs/client.md). */
  httpFallback?: HttpFallbackOptions;
  /** wss://: CA certificate(s) (PEM string or Buffer) to trust for the hub; default the system CAs. */
  ca?: string | Buffer;
  /** wss:// with mutual TLS: this client's certificate and private key (PEM). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Results kept for `result()` calls that come after the result arrived. Default 10,000. */
  resultCacheSize?: number;
}

export interface SubmitOptions {
  priority?: PriorityName;
  delayMs?: number;
  runAt?: Date | number;
  maxAttempts?: number;
  backoff?: BackoffSpec;
  timeoutMs?: number;
  ttlMs?: number;
  idempotencyKey?: string;
  /** Capabilities the worker must offer. */
  requires?: string[];
  resultTtlMs?: number;
}

export interface BulkItem extends SubmitOptions {
  queue: string;
  payload?: unknown;
}

/** One member of `transaction()`: exactly one of submit, cancel, publish. */
export type TransactionOp =
  | { submit: { queue: string; payload?: unknown } & SubmitOptions }
  | { cancel: string | { taskId: string; reason?: string } }
  | {
      publish: { topic: string; data?: unknown; qos?: 'at-least-once' | 'exactly-once' } & Omit<
        PublishOptions,
        'qos'
      >;
    };

/** One task of a flow (docs/flows.md): a task, its options, a name and its children. */
export interface FlowNode extends SubmitOptions {
  queue: string;
  payload?: unknown;
  /** Unique among its siblings: the parent finds this child's outcome under it. */
  name?: string;
  /** What a child's failure does to this node: fail (default) or continue; inherited below. */
  onChildFailure?: FlowPolicyName;
  children?: FlowNode[];
}

/** A submitted flow: the tree of task ids, in the shape it was given. */
export interface FlowTree {
  id: string;
  name?: string;
  queue: string;
  children: FlowTree[];
}

/** What each member of a transaction did, in order. */
export type TransactionResult =
  | { taskId: string; duplicate: boolean }
  | { taskId: string; cancelled: true }
  | { msgId: string; subscriptions: number; duplicate: boolean };

export interface ProducerEvents extends Record<string, unknown> {
  /** Every final result this producer receives (its own tasks and watched ones). */
  result: ResultFrame;
  progress: ProgressNoticeFrame;
  status: ConnectionStatus;
  error: Error;
}

interface Waiter {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

const MAX_BATCH = 10_000;
/** The default of the options arguments: one shared object, not one per call. */
const NO_OPTIONS: SubmitOptions & { timeoutMs?: number } = Object.freeze({});

function toSpec(queue: string, payload: unknown, o: SubmitOptions): TaskSpec {
  const spec: TaskSpec = { queue };
  if (payload !== undefined) spec.payload = payload;
  if (o.priority) spec.priority = o.priority;
  if (o.delayMs !== undefined) spec.delayMs = o.delayMs;
  if (o.runAt !== undefined) spec.runAt = o.runAt instanceof Date ? o.runAt.getTime() : o.runAt;
  if (o.maxAttempts !== undefined) spec.maxAttempts = o.maxAttempts;
  if (o.backoff) spec.backoff = o.backoff;
  if (o.timeoutMs !== undefined) spec.timeoutMs = o.timeoutMs;
  if (o.ttlMs !== undefined) spec.ttlMs = o.ttlMs;
  if (o.idempotencyKey !== undefined) spec.idempotencyKey = o.idempotencyKey;
  if (o.requires?.length) spec.requires = o.requires;
  if (o.resultTtlMs !== undefined) spec.resultTtlMs = o.resultTtlMs;
  return spec;
}

/**
 * A producer: submits tasks and receives their results. Results of tasks submitted on the
 * current connection are pushed by the hub; after a reconnect every awaited id is watched
 * again, so `result()` survives hub restarts and network blips.
 */
export class Producer extends MessagingClient<ProducerEvents> {
  private readonly conn: Connection;
  /** One waiter per id, almost always; an array when several `result()` calls wait on it. */
  private readonly waiters = new Map<string, Waiter | Waiter[]>();
  private readonly cache = new Map<string, ResultFrame>();
  private readonly progressListeners = new Map<string, Set<(value: unknown) => void>>();
  /** Ids submitted on the current session: the hub pushes their results without a watch. */
  private sessionIds = new Set<string>();
  private readonly cacheSize: number;
  private submitted = 0;
  private results = 0;

  constructor(options: ProducerOptions) {
    super();
    this.cacheSize = options.resultCacheSize ?? 10_000;
    this.conn = new Connection({
      url: options.url,
      token: options.token,
      reconnect: options.reconnect,
      httpFallback: options.httpFallback,
      connectTimeoutMs: options.connectTimeoutMs,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      clientName: 'switchboard-producer',
    });
    this.bus = this.attachBus(this.conn);
    this.conn.onReady = async () => {
      await this.restoreWatches();
      await this.bus.restore();
    };
    this.conn.on('frame', (f) => {
      if (!this.bus.onFrame(f)) this.onFrame(f);
    });
    this.conn.on('reply', (f) => this.onReply(f));
    this.conn.on('status', (s) => this.emit('status', s));
    this.conn.on('error', (e) => this.emit('error', e));
  }

  /** The hub this producer is connected to now; undefined while it is (re)connecting. */
  get url(): string | undefined {
    return this.conn.url;
  }

  /** Connect now (otherwise the first call connects). */
  start(): Promise<void> {
    return this.conn.start();
  }

  /** What the connection is doing now: connecting, connected, reconnecting, fallback, closed. */
  get state(): ConnectionState {
    return this.conn.state;
  }

  /** Status changes from now on, as an async iterator that ends after `closed`. */
  status(): AsyncIterableIterator<ConnectionStatus> {
    return this.conn.status();
  }

  /** Counters for health checks: the connection's, and tasks submitted and results received. */
  stats(): ProducerStats {
    return {
      ...this.conn.stats(),
      submitted: this.submitted,
      results: this.results,
      awaitingResults: this.waiters.size,
    };
  }

  /** Submit one task; resolves once the hub has accepted (and, in durable mode, persisted) it. */
  async submit<P = unknown>(
    queue: string,
    payload?: P,
    options: SubmitOptions = NO_OPTIONS,
  ): Promise<{ id: string; duplicate: boolean }> {
    // The hot path: connected, one request, no extra promise on the way.
    if (!this.conn.ready) await this.conn.start();
    const frame = { t: FrameType.submit, task: toSpec(queue, payload, options) };
    let reply: SubmittedFrame;
    try {
      reply = (await this.conn.request(frame)) as SubmittedFrame;
    } catch (err) {
      reply = (await this.retrySafely(frame, err)) as SubmittedFrame;
    }
    return { id: reply.taskId, duplicate: reply.duplicate };
  }

  /**
   * Submits, cancels and (stored) publishes applied all together or not at all, as one
   * durable record. A member that would be refused (a bad queue, a permission, a finished
   * task) refuses the whole group with its error, which names the member; nothing of the
   * group is visible then. Resolves once the group is durable.
   */
  async transaction(ops: TransactionOp[]): Promise<TransactionResult[]> {
    await this.conn.start();
    const frameOps = ops.map((op) => {
      if ('submit' in op) {
        const { queue, payload, ...options } = op.submit;
        return { submit: toSpec(queue, payload, options) };
      }
      if ('cancel' in op)
        return { cancel: typeof op.cancel === 'string' ? { taskId: op.cancel } : op.cancel };
      const { topic, data, qos, ttlMs, priority, id } = op.publish;
      const p: Record<string, unknown> = { topic };
      if (data !== undefined) p.data = data;
      if (qos !== undefined) p.qos = qos;
      if (ttlMs !== undefined) p.ttlMs = ttlMs;
      if (priority !== undefined) p.priority = priority;
      if (id !== undefined) p.msgId = id;
      return { publish: p };
    });
    const reply = (await this.requestSafely({ t: FrameType.txn, ops: frameOps })) as CommittedFrame;
    return reply.results;
  }

  /**
   * Submit a flow: the root runs only once all its children are final, each parent the same
   * way, and each parent's handler receives its children's outcomes (`task.children`). The
   * whole tree is created together or not at all (a refusal names the field at fault);
   * resolves once it is durable, with the ids in the tree's own shape. `result(id)` works
   * for every task of it.
   */
  async submitFlow(root: FlowNode): Promise<{ id: string; duplicate: boolean; tree: FlowTree }> {
    await this.conn.start();
    const toWire = (n: FlowNode): Record<string, unknown> => {
      const { queue, payload, name, onChildFailure, children, ...options } = n;
      const node: Record<string, unknown> = { ...toSpec(queue, payload, options) };
      if (name !== undefined) node.name = name;
      if (onChildFailure !== undefined) node.onChildFailure = onChildFailure;
      if (children?.length) node.children = children.map(toWire);
      return node;
    };
    const reply = (await this.requestSafely({
      t: FrameType.flow,
      flow: toWire(root),
    })) as FlowSubmittedFrame;
    let next = 0;
    const shape = (n: FlowNode): FlowTree => {
      const id = reply.duplicate && next > 0 ? '' : reply.taskIds[next++]!;
      const tree: FlowTree = { id, queue: n.queue, children: [] };
      if (n.name !== undefined) tree.name = n.name;
      // A duplicate flow answers with the existing root only: its children are not known here.
      if (!reply.duplicate) tree.children = (n.children ?? []).map(shape);
      return tree;
    };
    return { id: reply.taskIds[0]!, duplicate: reply.duplicate, tree: shape(root) };
  }

  /** Submit many tasks (sent in frames of up to 10,000). Ids come back in order. */
  async submitMany(items: BulkItem[]): Promise<{ ids: string[]; duplicates: number[] }> {
    await this.conn.start();
    const ids: string[] = [];
    const duplicates: number[] = [];
    for (let start = 0; start < items.length; start += MAX_BATCH) {
      const chunk = items.slice(start, start + MAX_BATCH);
      const reply = (await this.requestSafely({
        t: FrameType.submitMany,
        tasks: chunk.map((i) => toSpec(i.queue, i.payload, i)),
      })) as SubmittedManyFrame;
      for (const id of reply.taskIds) ids.push(id);
      for (const d of reply.duplicates) duplicates.push(start + d);
    }
    return { ids, duplicates };
  }

  /**
   * The task's result: resolves with what the handler returned, rejects with
   * TaskFailedError when it ends dead, expired or cancelled.
   */
  result<R = unknown>(id: string, options: { timeoutMs?: number } = NO_OPTIONS): Promise<R> {
    const cached = this.cache.get(id);
    if (cached) {
      try {
        return Promise.resolve(settle(cached) as R);
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    const p = new Promise<R>((resolve, reject) => {
      const waiter: Waiter = { resolve: resolve as (v: unknown) => void, reject };
      const had = this.waiters.get(id);
      if (had === undefined) this.waiters.set(id, waiter);
      else if (Array.isArray(had)) had.push(waiter);
      else this.waiters.set(id, [had, waiter]);
    });
    // The hot path: a task of this session, no timeout; the hub pushes its result unasked.
    if (this.sessionIds.has(id) && options.timeoutMs === undefined) return p;
    return this.awaitResult(id, p, options.timeoutMs);
  }

  private async awaitResult<R>(id: string, p: Promise<R>, timeoutMs?: number): Promise<R> {
    if (!this.sessionIds.has(id)) {
      await this.conn.start();
      await this.conn.request({ t: FrameType.watch, taskIds: [id] });
    }
    if (timeoutMs === undefined) return p;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimeoutError(`no result for ${id} within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Subscribe to a task's progress updates. Returns an unsubscribe function. */
  onProgress(id: string, listener: (value: unknown) => void): () => void {
    let set = this.progressListeners.get(id);
    if (!set) this.progressListeners.set(id, (set = new Set()));
    set.add(listener);
    void this.conn
      .start()
      .then(() => this.conn.request({ t: FrameType.watch, taskIds: [id], progress: true }))
      .catch((err: Error) => this.emit('error', err));
    return () => {
      set.delete(listener);
      if (set.size === 0) this.progressListeners.delete(id);
    };
  }

  /** Cancel a queued or running task (the running worker's handler sees its signal abort). */
  async cancel(id: string, reason?: string): Promise<void> {
    await this.conn.start();
    await this.conn.request({ t: FrameType.cancel, taskId: id, ...(reason ? { reason } : {}) });
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  /**
   * Send a submit; retry it after reconnecting when the hub provably did not take it: it
   * answered SHUTTING_DOWN, or closed with 1001 while draining (a draining hub refuses
   * submits). Any other loss is reported: the submit may or may not have been applied
   * (use an idempotency key to make retrying it safe).
   */
  private async requestSafely(frame: { t: string } & Record<string, unknown>): Promise<HubFrame> {
    try {
      return await this.conn.request(frame);
    } catch (err) {
      return this.retrySafely(frame, err);
    }
  }

  /** After the first try of `frame` failed with `first`: retry while the hub went away. */
  private async retrySafely(
    frame: { t: string } & Record<string, unknown>,
    first: unknown,
  ): Promise<HubFrame> {
    let err = first;
    for (let attempt = 0; ; attempt++) {
      const goingAway =
        (err instanceof HubError && err.code === ErrorCode.SHUTTING_DOWN) ||
        (err instanceof ConnectionClosedError && err.closeCode === 1001);
      if (!goingAway || attempt >= 5) throw err;
      await this.conn.waitReady();
      try {
        return await this.conn.request(frame);
      } catch (e) {
        err = e;
      }
    }
  }

  /**
   * The hub pushes the results of tasks submitted on this session without a watch: their
   * ids are noted as the reply is read, since the result may be the very next frame of the
   * same read, handled before the awaiting submit resumes.
   */
  private onReply(frame: HubFrame): void {
    switch (frame.t) {
      case FrameType.submitted:
        this.sessionIds.add(frame.taskId);
        this.submitted++;
        break;
      case FrameType.submittedMany:
        for (const id of frame.taskIds) this.sessionIds.add(id);
        this.submitted += frame.taskIds.length - frame.duplicates.length;
        break;
      case FrameType.flowSubmitted:
        for (const id of frame.taskIds) this.sessionIds.add(id);
        if (!frame.duplicate) this.submitted += frame.taskIds.length;
        break;
      case FrameType.committed:
        for (const r of frame.results)
          if ('taskId' in r && !('cancelled' in r)) {
            this.sessionIds.add(r.taskId);
            if (!r.duplicate) this.submitted++;
          }
        break;
    }
  }

  private async restoreWatches(): Promise<void> {
    this.sessionIds = new Set();
    const ids = [...new Set([...this.waiters.keys(), ...this.progressListeners.keys()])];
    for (let i = 0; i < ids.length; i += MAX_BATCH) {
      const chunk = ids.slice(i, i + MAX_BATCH);
      const progress = chunk.some((id) => this.progressListeners.has(id));
      await this.conn
        .requestNow({ t: FrameType.watch, taskIds: chunk, progress })
        .catch((err: Error) => {
          // TASK_NOT_FOUND errors arrive as separate frames; a failed watch is reported, not fatal.
          this.emit('error', err);
        });
    }
  }

  private onFrame(frame: HubFrame): void {
    if (frame.t === FrameType.result) {
      this.results++;
      this.emit('result', frame);
      const waiters = this.waiters.get(frame.taskId);
      if (waiters) {
        this.waiters.delete(frame.taskId);
        if (Array.isArray(waiters)) for (const w of waiters) deliver(w, frame);
        else deliver(waiters, frame);
      } else {
        this.cache.set(frame.taskId, frame);
        if (this.cache.size > this.cacheSize)
          this.cache.delete(this.cache.keys().next().value as string);
      }
      this.sessionIds.delete(frame.taskId);
      this.progressListeners.delete(frame.taskId);
    } else if (frame.t === FrameType.progress) {
      this.emit('progress', frame);
      const set = this.progressListeners.get(frame.taskId);
      if (set) for (const l of set) l(frame.value);
    } else if (
      frame.t === FrameType.error &&
      frame.taskId &&
      frame.code === ErrorCode.TASK_NOT_FOUND
    ) {
      const waiters = this.waiters.get(frame.taskId);
      if (waiters) {
        this.waiters.delete(frame.taskId);
        for (const w of Array.isArray(waiters) ? waiters : [waiters])
          w.reject(new TaskFailedError(frame.taskId, 'dead', frame.code, frame.message, 0));
      }
    }
  }
}

function deliver(w: Waiter, frame: ResultFrame): void {
  if (frame.status === 'completed') w.resolve(frame.result);
  else {
    try {
      settle(frame);
    } catch (err) {
      w.reject(err as Error);
    }
  }
}

function settle(frame: ResultFrame): unknown {
  if (frame.status === 'completed') return frame.result;
  throw new TaskFailedError(
    frame.taskId,
    frame.status,
    frame.error?.code ?? frame.status.toUpperCase(),
    frame.error?.message ?? frame.status,
    frame.attempts,
    frame.error?.details,
  );
}
