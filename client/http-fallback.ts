import {
  FrameType,
  PROTOCOL_VERSION,
  type HubFrame,
  type TaskFrame,
  type WelcomeFrame,
} from '../protocol/index.js';
import { ConnectionClosedError, HubError, NotOverHttpError } from './errors.js';
import { hubFetch, type TlsClientOptions } from './hub-fetch.js';
import type { HubUrlList, HubUrls } from './hub-urls.js';
import { randomUUID } from './random-uuid.js';

/** Where to go, and when, if the WebSocket cannot be opened (a proxy refusing upgrades). */
export interface HttpFallbackOptions {
  /**
   * The hub's HTTP side port (http:// or https://; several hubs: an array or one
   * comma-separated string). Without it there is no fallback.
   */
  httpUrl: HubUrls;
  /** WebSocket connects refused in a row (every URL tried once is one) before HTTP. Default 2. */
  afterFailures?: number;
  /** While on HTTP, try the WebSocket again this often (ms); 0: never. Default 30,000. */
  retryWebSocketMs?: number;
  /** How long one long-poll waits at the hub (ms, at most 25,000). Default 20,000. */
  pollWaitMs?: number;
}

/** At most this many task ids in one /tasks/wait (the hub's bound). */
const WAIT_BATCH = 1000;

interface Registration {
  workerId: string;
  queues: string[];
  capabilities: string[];
  concurrency: number;
  name?: string;
}

type OutFrame = { t: string; id?: number } & Record<string, unknown>;

interface TaskJsonLike {
  id: string;
  queue: string;
  payload: unknown;
  attempt: number;
  maxAttempts: number;
  priority: TaskFrame['priority'];
  timeoutMs: number;
  createdAt: number;
  children?: TaskFrame['children'];
}

/**
 * A hub session over the hub's HTTP routes, for when WebSocket upgrades are refused. It
 * takes the frames a Worker or Producer would send and makes the matching HTTP calls, and
 * hands back what the hub would have pushed on a WebSocket: a worker long-polls
 * POST /api/v1/tasks/pull for tasks; a producer long-polls POST /api/v1/tasks/wait for the
 * results (and progress) of the tasks it submitted or watches. The same worker and
 * producer code runs either way. What has no HTTP route here (the message bus,
 * transactions, flows) fails with NotOverHttpError.
 *
 * `onFrame` gets the pushed frames; `onLost` is called once when the hub cannot be reached
 * any more (the connection then reconnects, WebSocket first).
 */
export class HttpFallbackSession {
  readonly url: string;
  private closed = false;
  private worker: Registration | undefined;
  private draining = false;
  /** Leases handed to the worker and not yet completed or failed: `taskId:attempt`. */
  private readonly leases = new Set<string>();
  private leaseTimeoutMs = 30_000;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private pulling = false;
  private pullAbort: AbortController | undefined;
  private slotFreed: (() => void) | undefined;
  /** Tasks whose results this session reports (submitted here, or watched): progress too? */
  private readonly watched = new Map<string, boolean>();
  private waiting = false;
  /** Where the next /tasks/wait window starts, with more watched ids than one poll takes. */
  private windowStart = 0;
  /** Progress to send, latest per task, and the tasks whose progress POST is in flight. */
  private readonly progressDue = new Map<string, OutFrame>();
  private readonly progressSending = new Set<string>();
  /** The long-poll for results in flight: aborted when the watched set grows. */
  private waitAbort: AbortController | undefined;
  private readonly polls = new Set<AbortController>();

  constructor(
    private readonly urls: HubUrlList,
    private readonly options: {
      token?: string | undefined;
      tls?: TlsClientOptions | undefined;
      pollWaitMs?: number | undefined;
      clientName?: string | undefined;
    },
    private readonly onFrame: (frame: HubFrame) => void,
    private readonly onLost: (err: Error) => void,
  ) {
    this.url = urls.current;
  }

  /** A request frame; resolves with the reply the hub would have sent on a WebSocket. */
  async request(frame: OutFrame): Promise<HubFrame> {
    if (this.closed) throw new ConnectionClosedError('the HTTP fallback session is closed');
    const id = frame.id ?? 0;
    const ack = { t: FrameType.ack, id } as HubFrame;
    switch (frame.t) {
      case FrameType.hello:
        return this.hello(id);
      case FrameType.register:
        return this.register(id, frame);
      case FrameType.complete:
      case FrameType.fail:
        await this.report(frame);
        return ack;
      case FrameType.progress:
        await this.call(
          'POST',
          `/api/v1/tasks/${encodeURIComponent(String(frame.taskId))}/progress`,
          {
            workerId: this.worker?.workerId,
            attempt: frame.attempt,
            value: frame.value,
          },
        );
        return ack;
      case FrameType.drain:
        // Pulling stops; what runs finishes. (The hub's drain route is an operator's.)
        this.draining = true;
        this.slotFreed?.();
        this.pullAbort?.abort();
        return ack;
      case FrameType.submit: {
        const r = (await this.call('POST', '/api/v1/tasks', frame.task)) as {
          id: string;
          duplicate: boolean;
        };
        this.watch([r.id], false);
        return { t: FrameType.submitted, id, taskId: r.id, duplicate: r.duplicate } as HubFrame;
      }
      case FrameType.submitMany: {
        const r = (await this.call('POST', '/api/v1/tasks', { tasks: frame.tasks })) as {
          taskIds: string[];
          duplicates: string[];
        };
        this.watch(r.taskIds, false);
        const dup = new Set(r.duplicates);
        return {
          t: FrameType.submittedMany,
          id,
          taskIds: r.taskIds,
          // REST names the duplicates by id; the frame by their index in `tasks`.
          duplicates: r.taskIds.flatMap((taskId, i) => (dup.has(taskId) ? [i] : [])),
        } as HubFrame;
      }
      case FrameType.watch:
        this.watch(frame.taskIds as string[], frame.progress === true);
        return ack;
      case FrameType.cancel:
        await this.call(
          'POST',
          `/api/v1/tasks/${encodeURIComponent(String(frame.taskId))}/cancel`,
          {
            ...(typeof frame.reason === 'string' ? { reason: frame.reason } : {}),
          },
        );
        return ack;
      default:
        throw new NotOverHttpError(`a ${frame.t} frame`);
    }
  }

  /** A frame without a reply (progress, complete, fail sent by `send`). */
  send(frame: OutFrame): boolean {
    if (this.closed) return false;
    if (frame.t === FrameType.heartbeat) return true;
    if (frame.t === FrameType.progress) {
      // Progress is the latest value: one POST per task at a time, the newest value next.
      const taskId = String(frame.taskId);
      this.progressDue.set(taskId, frame);
      if (!this.progressSending.has(taskId)) void this.sendProgress(taskId);
      return true;
    }
    this.request(frame).catch((err: Error) => this.refused(err));
    return true;
  }

  private async sendProgress(taskId: string): Promise<void> {
    this.progressSending.add(taskId);
    try {
      for (
        let f = this.progressDue.get(taskId);
        f && !this.closed;
        f = this.progressDue.get(taskId)
      ) {
        this.progressDue.delete(taskId);
        await this.request(f).catch((err: Error) => this.refused(err));
      }
    } finally {
      this.progressSending.delete(taskId);
    }
  }

  /** What the hub refused is reported as the hub's error frame would have been. */
  private refused(err: Error): void {
    if (err instanceof HubError)
      this.onFrame({
        t: FrameType.error,
        code: err.hubCode,
        message: err.message,
        ...(err.taskId ? { taskId: err.taskId } : {}),
      } as HubFrame);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    this.slotFreed?.();
    for (const ac of this.polls) ac.abort();
    const w = this.worker;
    // An orderly goodbye: the hub requeues nothing it would not requeue anyway, but the
    // worker's record goes at once instead of after its lease timeout.
    if (w && this.leases.size === 0)
      await this.call('POST', '/api/workers/unregister', { workerId: w.workerId }, true).catch(
        () => undefined,
      );
  }

  // ------------------------------------------------------------------ the handshake

  private async hello(id: number): Promise<HubFrame> {
    const who = (await this.call('GET', '/api/v1/whoami')) as { role: WelcomeFrame['role'] };
    const welcome: WelcomeFrame = {
      t: FrameType.welcome,
      id,
      protocol: PROTOCOL_VERSION,
      sessionId: `http-${randomUUID()}`,
      role: who.role,
      hubVersion: 'http',
      heartbeatMs: 0,
      maxFrameBytes: Number.MAX_SAFE_INTEGER,
    };
    return welcome;
  }

  // ------------------------------------------------------------------ a worker

  private async register(id: number, frame: OutFrame): Promise<HubFrame> {
    const w: Registration = {
      workerId: String(frame.workerId),
      queues: frame.queues as string[],
      capabilities: (frame.capabilities as string[] | undefined) ?? [],
      concurrency: (frame.concurrency as number | undefined) ?? 1,
      ...(typeof frame.name === 'string' ? { name: frame.name } : {}),
    };
    const r = (await this.call('POST', '/api/workers/register', w)) as {
      leaseTimeoutMs: number;
    };
    this.worker = w;
    this.leaseTimeoutMs = r.leaseTimeoutMs;
    // Leases held over a WebSocket before are not claimed over HTTP: the hub's HTTP register
    // takes no `running`. Their outcomes are still sent; the hub refuses those it requeued.
    const claimed = (frame.running as { taskId: string; attempt: number }[] | undefined) ?? [];
    for (const c of claimed) this.leases.add(`${c.taskId}:${c.attempt}`);
    // Pulls are heartbeats; this covers the time every slot is busy and nobody pulls.
    this.heartbeatTimer = setInterval(
      () => {
        this.call('POST', '/api/workers/heartbeat', { workerId: w.workerId }).catch(
          () => undefined,
        );
      },
      Math.max(100, Math.floor(this.leaseTimeoutMs / 3)),
    );
    void this.pullLoop();
    return {
      t: FrameType.registered,
      id,
      workerId: w.workerId,
      resumed: claimed.map((c) => c.taskId),
      dropped: [],
    } as HubFrame;
  }

  private async pullLoop(): Promise<void> {
    if (this.pulling) return;
    this.pulling = true;
    try {
      while (!this.closed && !this.draining && this.worker) {
        const free = this.worker.concurrency - this.leases.size;
        if (free <= 0) {
          await new Promise<void>((resolve) => (this.slotFreed = resolve));
          this.slotFreed = undefined;
          continue;
        }
        const ac = (this.pullAbort = new AbortController());
        let tasks: TaskJsonLike[];
        try {
          ({ tasks } = (await this.poll(
            '/api/v1/tasks/pull',
            {
              workerId: this.worker.workerId,
              max: Math.min(free, 1000),
              waitMs: this.options.pollWaitMs ?? 20_000,
            },
            ac,
          )) as { tasks: TaskJsonLike[] });
        } catch (err) {
          // Draining or closing: the poll was called off on purpose.
          if (ac.signal.aborted) break;
          throw err;
        }
        for (const t of tasks) {
          if (this.closed) break;
          this.leases.add(`${t.id}:${t.attempt}`);
          this.onFrame(toTaskFrame(t));
        }
      }
    } catch (err) {
      this.lost(err as Error);
    } finally {
      this.pulling = false;
    }
  }

  private async report(frame: OutFrame): Promise<void> {
    const w = this.worker;
    const key = `${String(frame.taskId)}:${String(frame.attempt)}`;
    try {
      const path = frame.t === FrameType.complete ? '/api/tasks/complete' : '/api/tasks/fail';
      const { t: _t, id: _id, ...body } = frame;
      await this.call('POST', path, { workerId: w?.workerId, ...body });
    } finally {
      // Done either way: the hub took the outcome, or refused it (the lease was gone).
      if (this.leases.delete(key)) this.slotFreed?.();
    }
  }

  // ------------------------------------------------------------------ a producer

  private watch(taskIds: readonly string[], progress: boolean): void {
    let grew = false;
    for (const taskId of taskIds) {
      const had = this.watched.get(taskId);
      if (had === undefined || (progress && !had)) grew = true;
      this.watched.set(taskId, progress || had === true);
    }
    if (!grew) return;
    // A poll in flight does not know the new ids: start over with them, once this turn.
    this.waitAbort?.abort();
    this.waitAbort = undefined;
    if (!this.waiting) void this.waitLoop();
  }

  private async waitLoop(): Promise<void> {
    this.waiting = true;
    try {
      while (!this.closed && this.watched.size > 0) {
        // Let this turn's submits join the poll before it starts.
        await new Promise((r) => setTimeout(r, 0));
        // More ids than one poll takes: a window that moves on each poll, so every id gets
        // its turn, and short waits, so none waits long for the others' windows.
        const all = [...this.watched.keys()];
        const several = all.length > WAIT_BATCH;
        if (this.windowStart >= all.length) this.windowStart = 0;
        const ids = several ? all.slice(this.windowStart, this.windowStart + WAIT_BATCH) : all;
        this.windowStart = several ? this.windowStart + WAIT_BATCH : 0;
        const progress = ids.some((id) => this.watched.get(id));
        const ac = new AbortController();
        this.waitAbort = ac;
        let answer: {
          results: (Omit<Extract<HubFrame, { t: 'result' }>, 't'> & { taskId: string })[];
          missing: string[];
          progress: { taskId: string; value: unknown }[];
        };
        try {
          answer = (await this.poll(
            '/api/v1/tasks/wait',
            {
              taskIds: ids,
              progress,
              waitMs: several
                ? Math.min(500, this.options.pollWaitMs ?? 20_000)
                : (this.options.pollWaitMs ?? 20_000),
            },
            ac,
          )) as typeof answer;
        } catch (err) {
          if (ac.signal.aborted && !this.closed) continue;
          throw err;
        }
        for (const p of answer.progress)
          if (this.watched.has(p.taskId))
            this.onFrame({ t: FrameType.progress, taskId: p.taskId, value: p.value } as HubFrame);
        for (const r of answer.results) {
          this.watched.delete(r.taskId);
          this.onFrame({ t: FrameType.result, ...r } as HubFrame);
        }
        for (const taskId of answer.missing) {
          this.watched.delete(taskId);
          this.onFrame({
            t: FrameType.error,
            code: 'TASK_NOT_FOUND',
            message: `no task ${taskId}`,
            taskId,
          } as HubFrame);
        }
      }
    } catch (err) {
      if (!this.closed) this.lost(err as Error);
    } finally {
      this.waiting = false;
    }
  }

  // ------------------------------------------------------------------ HTTP

  /** A long-poll: abortable on close. */
  private async poll(path: string, body: unknown, ac = new AbortController()): Promise<unknown> {
    this.polls.add(ac);
    try {
      return await this.call('POST', path, body, false, ac.signal);
    } finally {
      this.polls.delete(ac);
    }
  }

  /**
   * One call. A refusal (4xx, 5xx with the registry's JSON) rejects with the HubError of its
   * code; a failure to reach the hub rejects with ConnectionClosedError.
   */
  private async call(
    method: string,
    path: string,
    body?: unknown,
    evenClosed = false,
    signal?: AbortSignal,
  ): Promise<unknown> {
    if (this.closed && !evenClosed)
      throw new ConnectionClosedError('the HTTP fallback session is closed');
    const headers: Record<string, string> = {};
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await hubFetch(new URL(path, this.url), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
        tls: this.options.tls,
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      const cause = (err as { cause?: { message?: string } }).cause;
      throw new ConnectionClosedError(
        `HTTP fallback: ${method} ${path} failed (${cause?.message ?? (err as Error).message})`,
      );
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (res.status >= 400) {
      const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      // A proxy's own error page has no code: the hub is out of reach.
      if (!e?.code)
        throw new ConnectionClosedError(`HTTP fallback: ${method} ${path} answered ${res.status}`);
      const taskId = /\/tasks\/([^/]+)\//.exec(path)?.[1];
      throw HubError.fromFrame({
        code: e.code,
        message: e.message ?? e.code,
        ...(taskId ? { taskId: decodeURIComponent(taskId) } : {}),
      });
    }
    return json;
  }

  private lost(err: Error): void {
    if (this.closed) return;
    // A refusal of a single call (a stale lease, a bad id) is the caller's; a hub that
    // cannot be reached, or no longer knows this worker, ends the session.
    if (err instanceof HubError && err.code !== 'WORKER_NOT_FOUND' && err.code !== 'UNAUTHORIZED') {
      this.onFrame({ t: FrameType.error, code: err.hubCode, message: err.message } as HubFrame);
      if (this.worker) setTimeout(() => void this.pullLoop(), 1000);
      return;
    }
    void this.close();
    this.onLost(err);
  }
}

function toTaskFrame(t: TaskJsonLike): TaskFrame {
  const frame: TaskFrame = {
    t: FrameType.task,
    taskId: t.id,
    queue: t.queue,
    payload: t.payload,
    attempt: t.attempt,
    maxAttempts: t.maxAttempts,
    priority: t.priority,
    timeoutMs: t.timeoutMs,
    createdAt: t.createdAt,
  };
  if (t.children) frame.children = t.children;
  return frame;
}

/**
 * Whether a failed WebSocket connect looks like an upgrade refused on the way (a proxy
 * answering the upgrade with its own status, or closing it) rather than a hub that is down
 * or refused the client: 401/403/429/503 are the hub's own refusals (a token, a limit, not
 * ready) and fixing them is not a matter of transport.
 */
export function isRefusedUpgrade(err: Error | undefined): boolean {
  if (!err) return true;
  const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
  if (status !== undefined) return !['401', '403', '429', '503'].includes(status);
  const code = (err as { code?: unknown }).code;
  // Nobody listening, or no such host: the hub is down, not behind a proxy.
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return false;
  return true;
}
