import { randomUUID } from './random-uuid.js';
import {
  FrameType,
  type CancelNoticeFrame,
  type FlowChild,
  type HubFrame,
  type PriorityName,
  type RegisteredFrame,
  type TaskFrame,
} from '../protocol/index.js';
import { Connection, type ConnectionStatus, type ReconnectOptions } from './connection.js';
import { MessagingClient } from './messaging-client.js';
import type { HubUrls } from './hub-urls.js';
import { HubError } from './errors.js';
import type { ConnectionState, WorkerStats } from './connection-status.js';
import { WorkerTask } from './worker-task.js';
import type { HttpFallbackOptions } from './http-fallback.js';

export interface WorkerOptions {
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
  /** wss://: CA certificate(s) (PEM string or Buffer) to trust for the hub; default the system CAs. */
  ca?: string | Buffer;
  /** wss:// with mutual TLS: this client's certificate and private key (PEM). */
  cert?: string | Buffer;
  key?: string | Buffer;
  queues: string[];
  capabilities?: string[];
  /** Handlers run at once at most. Default 1. */
  concurrency?: number;
  /** Stable id: after a reconnect the hub keeps this worker's leases. Default: a random UUID. */
  workerId?: string;
  name?: string;
  reconnect?: ReconnectOptions;
  /** Work over the hub's HTTP routes when WebSocket upgrades are refused (docs/client.md). */
  httpFallback?: HttpFallbackOptions;
}

/** What a handler receives. */
export interface Task<Payload = unknown> {
  id: string;
  queue: string;
  payload: Payload;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  priority: PriorityName;
  /** Aborted when the task is cancelled, times out, or its lease is lost: stop work. */
  signal: AbortSignal;
  /** Report progress; the producer sees it through `onProgress`. */
  progress(value: unknown): void;
  /**
   * A flow's parent: the outcome of each child, in the order the flow gave them (empty for
   * any other task). Every child is final when the parent runs (docs/flows.md).
   */
  children: readonly FlowChild[];
  /** The results of the completed children by name (by task id for unnamed ones). */
  childrenValues<R = unknown>(): Record<string, R>;
}

export type Handler<Payload = unknown, Result = unknown> = (
  task: Task<Payload>,
) => Promise<Result> | Result;

export interface WorkerEvents extends Record<string, unknown> {
  /** A task's result was handed to the hub. */
  completed: { taskId: string; attempt: number; result: unknown };
  /** A handler threw; the hub decides between retry and dead letter. */
  failed: { taskId: string; attempt: number; error: Error };
  /** The hub told us to stop an attempt (cancel, timeout, lease lost). */
  aborted: { taskId: string; attempt: number; reason: string };
  status: ConnectionStatus;
  error: Error;
  /** The hub asked this worker to drain (it is shutting down or an operator drained us). */
  draining: { reason: string };
}

interface Running {
  attempt: number;
  task: WorkerTask;
  /** Set while an async handler runs; a synchronous one is over before anyone could wait. */
  done: Promise<void> | undefined;
}

const WorkerPhase = {
  idle: 'idle',
  running: 'running',
  draining: 'draining',
  closed: 'closed',
} as const;
type WorkerPhaseName = (typeof WorkerPhase)[keyof typeof WorkerPhase];

/**
 * A worker: holds one connection, registers its queues and capabilities, runs the hub's
 * pushed tasks with `handler`, reports results. Lifecycle: idle → running → draining →
 * closed, never back.
 */
export class Worker<Payload = unknown, Result = unknown> extends MessagingClient<WorkerEvents> {
  readonly id: string;
  private readonly conn: Connection;
  private readonly running = new Map<string, Running>();
  /** Outcomes produced while disconnected: sent after re-registering if the lease survived. */
  private readonly unsent = new Map<string, { attempt: number; frame: object }>();
  private phase: WorkerPhaseName = WorkerPhase.idle;
  private completedCount = 0;
  private failedCount = 0;
  private abortedCount = 0;

  constructor(
    private readonly options: WorkerOptions,
    private readonly handler: Handler<Payload, Result>,
  ) {
    super();
    if (!options.queues?.length) throw new TypeError('Worker needs at least one queue');
    if (typeof handler !== 'function') throw new TypeError('Worker needs a handler function');
    this.id = options.workerId ?? `w-${randomUUID()}`;
    this.conn = new Connection({
      url: options.url,
      token: options.token,
      reconnect: options.reconnect,
      httpFallback: options.httpFallback,
      connectTimeoutMs: options.connectTimeoutMs,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      clientName: options.name ?? 'switchboard-worker',
    });
    this.bus = this.attachBus(this.conn);
    this.conn.onReady = async () => {
      await this.register();
      await this.bus.restore();
    };
    this.conn.on('frame', (f) => {
      if (!this.bus.onFrame(f)) this.onFrame(f);
    });
    this.conn.on('status', (s) => {
      if (s.type === 'connected' && this.unsent.size) this.flushUnsent(false);
      if (s.type === 'closed' && this.phase === WorkerPhase.running) {
        // The connection ended for good (unregistered, or reconnects exhausted): the hub has
        // requeued our leases, so running handlers are told to stop.
        this.phase = WorkerPhase.closed;
        for (const r of this.running.values()) r.task.abort(new Error('worker connection closed'));
      }
      this.emit('status', s);
    });
    this.conn.on('error', (e) => this.emit('error', e));
  }

  /** Tasks running now. */
  get active(): number {
    return this.running.size;
  }

  /** The hub this worker is connected to now; undefined while it is (re)connecting. */
  get url(): string | undefined {
    return this.conn.url;
  }

  /**
   * What the worker's connection is doing now (connecting, connected, reconnecting,
   * fallback, draining, closed): the value for a health check.
   */
  get state(): ConnectionState {
    return this.conn.state;
  }

  /** Status changes from now on, as an async iterator that ends after `closed`. */
  status(): AsyncIterableIterator<ConnectionStatus> {
    return this.conn.status();
  }

  /** Counters for health checks: the connection's, and this worker's attempts. */
  stats(): WorkerStats {
    return {
      ...this.conn.stats(),
      inFlight: this.running.size,
      completed: this.completedCount,
      failed: this.failedCount,
      aborted: this.abortedCount,
    };
  }

  /** Connect and register; resolves when the hub has accepted the registration. */
  async start(): Promise<void> {
    if (this.phase !== WorkerPhase.idle) throw new Error(`worker is ${this.phase}`);
    this.phase = WorkerPhase.running;
    await this.conn.start();
  }

  /**
   * Graceful close: take no new tasks, let running handlers finish (up to `timeoutMs`,
   * default 30 s), then abort what is left and disconnect.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.phase === WorkerPhase.closed) return;
    if (this.phase !== WorkerPhase.draining)
      this.conn.report({ type: 'draining', reason: 'close' });
    this.phase = WorkerPhase.draining;
    if (this.conn.ready) {
      try {
        await this.conn.request({ t: FrameType.drain }, 5000);
      } catch {
        // the hub is gone: nothing more will be pushed anyway
      }
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    const all = Promise.all([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    for (const r of this.running.values()) r.task.abort(new Error('worker closed'));
    // Give the last outcomes one turn to be written before the socket closes.
    await new Promise((r) => setTimeout(r, 0));
    this.phase = WorkerPhase.closed;
    await this.conn.close();
  }

  private async register(): Promise<void> {
    // Claim both the tasks still running and those that finished while we were away.
    const running = [...this.running.entries()].map(([taskId, r]) => ({
      taskId,
      attempt: r.attempt,
    }));
    for (const [taskId, u] of this.unsent) running.push({ taskId, attempt: u.attempt });
    const reply = (await this.conn.requestNow({
      t: FrameType.register,
      workerId: this.id,
      queues: this.options.queues,
      capabilities: this.options.capabilities ?? [],
      concurrency: this.options.concurrency ?? 1,
      ...(this.options.name ? { name: this.options.name } : {}),
      ...(running.length ? { running } : {}),
    })) as RegisteredFrame;
    for (const taskId of reply.dropped) {
      this.running.get(taskId)?.task.abort(new Error('lease lost while disconnected'));
      this.unsent.delete(taskId);
    }
    this.flushUnsent(true);
    if (this.phase === WorkerPhase.draining)
      this.conn.requestNow({ t: FrameType.drain }).catch(() => undefined);
  }

  /** Deliver outcomes of tasks whose lease survived a disconnect. */
  private flushUnsent(duringHandshake: boolean): void {
    for (const [taskId, u] of this.unsent) {
      this.unsent.delete(taskId);
      const p = duringHandshake
        ? this.conn.requestNow(u.frame as { t: string })
        : this.conn.request(u.frame as { t: string });
      p.catch((err: Error) => this.emit('error', err));
    }
  }

  private onFrame(frame: HubFrame): void {
    switch (frame.t) {
      case FrameType.task:
        this.run(frame);
        break;
      case FrameType.cancel: {
        const f = frame as CancelNoticeFrame;
        const r = this.running.get(f.taskId);
        if (r && r.attempt === f.attempt) {
          this.abortedCount++;
          r.task.abort(new Error(`task ${f.reason}`));
          this.emit('aborted', { taskId: f.taskId, attempt: f.attempt, reason: f.reason });
        }
        break;
      }
      case FrameType.drain:
        this.conn.report({ type: 'draining', reason: frame.reason });
        this.emit('draining', { reason: frame.reason });
        break;
      case FrameType.error:
        this.emit('error', HubError.fromFrame(frame));
        break;
      default:
        break;
    }
  }

  private run(frame: TaskFrame): void {
    const task = new WorkerTask<Payload>(frame, this.conn);
    const entry: Running = { attempt: frame.attempt, task: task as WorkerTask, done: undefined };
    this.running.set(frame.taskId, entry);
    let value: Promise<Result> | Result;
    try {
      value = this.handler(task);
    } catch (err) {
      this.failed(frame, entry, err);
      return;
    }
    // A handler that returns a plain value is done now: no promise, no extra turn.
    if (isThenable(value))
      entry.done = Promise.resolve(value).then(
        (result) => this.succeeded(frame, entry, result),
        (err: unknown) => this.failed(frame, entry, err),
      );
    else this.succeeded(frame, entry, value);
  }

  private succeeded(frame: TaskFrame, entry: Running, result: Result): void {
    try {
      this.emit('completed', { taskId: frame.taskId, attempt: frame.attempt, result });
    } catch (err) {
      // A 'completed' listener that throws fails the attempt, as it always did.
      this.failed(frame, entry, err);
      return;
    }
    this.completedCount++;
    this.finish(frame, entry, {
      t: FrameType.complete,
      taskId: frame.taskId,
      attempt: frame.attempt,
      result: result === undefined ? null : result,
    });
  }

  private failed(frame: TaskFrame, entry: Running, err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    const rawCode = (e as { code?: unknown }).code;
    const code = typeof rawCode === 'string' && rawCode ? rawCode : 'HANDLER_ERROR';
    const retryable = (e as { retryable?: unknown }).retryable !== false;
    this.failedCount++;
    const outcome = {
      t: FrameType.fail,
      taskId: frame.taskId,
      attempt: frame.attempt,
      error: {
        message: e.message.slice(0, 65_000) || e.name,
        code: code.slice(0, 128),
        retryable,
      },
    };
    try {
      this.emit('failed', { taskId: frame.taskId, attempt: frame.attempt, error: e });
    } catch (listenerErr) {
      this.emit(
        'error',
        listenerErr instanceof Error ? listenerErr : new Error(String(listenerErr)),
      );
    }
    this.finish(frame, entry, outcome);
  }

  private finish(frame: TaskFrame, entry: Running, outcome: object): void {
    if (this.running.get(frame.taskId) === entry) this.running.delete(frame.taskId);
    // An aborted attempt's outcome is still sent: the hub refuses it if the lease is gone,
    // and accepts it if the abort was only our own close().
    if (!this.conn.send(outcome))
      this.unsent.set(frame.taskId, { attempt: frame.attempt, frame: outcome });
  }
}

function isThenable<T>(v: T | PromiseLike<T>): v is PromiseLike<T> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}
