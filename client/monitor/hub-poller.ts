import { EventEmitter } from 'node:events';
import { fetchFromHubs } from '../fetch-from-hubs.js';
import { hubFetch, type TlsClientOptions } from '../hub-fetch.js';
import { HubUrlList, type HubUrls } from '../hub-urls.js';
import type {
  Failure,
  MonitorSnapshot,
  QueueRow,
  ScheduleRow,
  Stats,
  WaitingParent,
  WorkerRow,
} from './monitor-data.js';

export type PollerStatus =
  { type: 'connected' } | { type: 'reconnecting'; since: number; attempt: number; error: string };

/** A one-line, non-retryable problem: wrong URL at start, or a token the hub refuses. */
export class MonitorError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const HISTORY = 180;
/** How many waiting flow parents the monitor lists (each costs one flow read per poll). */
export const WAITING_PARENTS_SHOWN = 8;
const FINAL = new Set(['completed', 'dead', 'expired', 'cancelled']);

/** GET /api/v1/flows/:id, the part the monitor reads. */
interface FlowRead {
  children: { id: string; name: string | null; queue: string; state: string }[];
  evicted: unknown[];
}

/**
 * Reads the hub once a second (stats, queues, workers) and follows the event stream for
 * failures. Survives hub restarts: it keeps polling and reports `reconnecting` meanwhile.
 * Given several hubs of one cluster, it reads the current one and moves on to the next when
 * a hub gives no answer (refused, unreachable, timed out); an HTTP error is not a reason.
 */
export class HubPoller extends EventEmitter {
  snapshot: MonitorSnapshot | undefined;
  status: PollerStatus = { type: 'connected' };
  private timer: NodeJS.Timeout | undefined;
  private previous: { at: number; submitted: number; completed: number } | undefined;
  private readonly submittedRate: number[] = [];
  private readonly completedRate: number[] = [];
  private failures: Failure[] = [];
  private sse: AbortController | undefined;
  private lastEventId = 0;
  private stopped = false;
  paused = false;
  readonly hubs: HubUrlList;
  /** The hub the event stream follows: the one the last poll read. */
  private followed: string | undefined;

  constructor(
    url: HubUrls,
    private readonly token: string | undefined,
    private readonly intervalMs = 1000,
    private readonly tls?: TlsClientOptions,
  ) {
    super();
    this.hubs = new HubUrlList(url, 'http');
  }

  /** The hub being read (the one that answered last). */
  get url(): string {
    return this.hubs.current;
  }

  private async get<T>(path: string): Promise<T> {
    const { response: res, url } = await fetchFromHubs(this.hubs, path, {
      tls: this.tls,
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      timeoutMs: 3000,
    });
    if (res.status === 401 || res.status === 403) {
      const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
      throw new MonitorError(`${url}: ${body.error?.message ?? `HTTP ${res.status}`}`, 4);
    }
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  }

  /** One full read. Throws MonitorError for problems retrying cannot fix. */
  async poll(): Promise<MonitorSnapshot> {
    const [stats, q, w, sch, recent] = await Promise.all([
      this.get<Stats>('/api/v1/stats'),
      this.get<{ queues: QueueRow[] }>('/api/v1/queues'),
      this.get<{ workers: WorkerRow[] }>('/api/v1/workers'),
      // A hub from before schedules answers 404: none to show.
      this.get<{ schedules: ScheduleRow[] }>('/api/v1/schedules').catch((err: unknown) => {
        if (err instanceof MonitorError) throw err;
        return { schedules: [] };
      }),
      this.failures.length
        ? Promise.resolve(undefined)
        : this.get<{
            tasks: {
              id: string;
              queue: string;
              attempt: number;
              finishedAt: number | null;
              state: string;
              error: { code: string; message: string } | null;
            }[];
          }>('/api/v1/tasks?state=dead&limit=50'),
    ]);
    if (recent && this.failures.length === 0) {
      this.failures = recent.tasks
        .filter((t) => t.error)
        .map((t) => ({
          at: t.finishedAt ?? 0,
          type: 'task.dead',
          taskId: t.id,
          queue: t.queue,
          attempt: t.attempt,
          code: t.error!.code,
          message: t.error!.message,
        }))
        .reverse();
    }
    const waitingTotal = q.queues.reduce((n, row) => n + (row.waiting ?? 0), 0);
    const waitingParents = waitingTotal ? await this.waitingParents() : [];
    const now = stats.at;
    if (this.followed !== undefined && this.followed !== this.url) {
      // Another hub's counters: rates from one hub's totals to the other's would be noise.
      this.previous = undefined;
    }
    if (this.previous && now > this.previous.at) {
      const dt = (now - this.previous.at) / 1000;
      this.push(
        this.submittedRate,
        Math.max(0, (stats.totals.submitted - this.previous.submitted) / dt),
      );
      this.push(
        this.completedRate,
        Math.max(0, (stats.totals.completed - this.previous.completed) / dt),
      );
    }
    this.previous = {
      at: now,
      submitted: stats.totals.submitted,
      completed: stats.totals.completed,
    };
    this.snapshot = {
      url: this.url,
      stats,
      queues: q.queues.sort((a, b) => a.name.localeCompare(b.name)),
      workers: w.workers.sort((a, b) => a.id.localeCompare(b.id)),
      schedules: sch.schedules,
      waitingParents,
      waitingTotal,
      failures: [...this.failures],
      submittedRate: [...this.submittedRate],
      completedRate: [...this.completedRate],
    };
    return this.snapshot;
  }

  /**
   * The oldest flow parents waiting on children, each with the children it still waits on.
   * Read only when a queue counts waiting parents; a parent released between the two reads
   * is left out.
   */
  private async waitingParents(): Promise<WaitingParent[]> {
    const page = await this.get<{ tasks: { id: string; queue: string; createdAt: number }[] }>(
      `/api/v1/tasks?state=waiting-children&limit=${WAITING_PARENTS_SHOWN}`,
    );
    const rows = await Promise.all(
      page.tasks.map(async (t): Promise<WaitingParent | undefined> => {
        const flow = await this.get<FlowRead>(`/api/v1/flows/${encodeURIComponent(t.id)}`).catch(
          (err: unknown) => {
            if (err instanceof MonitorError) throw err;
            return undefined;
          },
        );
        if (!flow) return undefined;
        const pending = flow.children
          .filter((c) => !FINAL.has(c.state))
          .map((c) => ({ name: c.name ?? c.id, queue: c.queue, state: c.state }));
        const children = flow.children.length + flow.evicted.length;
        return { ...t, children, done: children - pending.length, pending };
      }),
    );
    return rows.filter((r): r is WaitingParent => r !== undefined);
  }

  private push(list: number[], v: number): void {
    list.push(v);
    if (list.length > HISTORY) list.shift();
  }

  /** Poll every interval until stopped; emits 'update' and 'status'. */
  start(): void {
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      if (!this.paused) {
        try {
          await this.poll();
          if (this.status.type !== 'connected') {
            this.status = { type: 'connected' };
            this.emit('status', this.status);
            this.follow();
          } else if (this.followed !== this.url) this.follow();
          this.emit('update', this.snapshot);
        } catch (err) {
          if (err instanceof MonitorError) {
            this.emit('fatal', err);
            return;
          }
          const attempt = this.status.type === 'reconnecting' ? this.status.attempt + 1 : 1;
          this.status = {
            type: 'reconnecting',
            since: this.status.type === 'reconnecting' ? this.status.since : Date.now(),
            attempt,
            error: (err as Error).message,
          };
          this.emit('status', this.status);
        }
      }
      this.timer = setTimeout(() => void tick(), this.intervalMs);
    };
    this.follow();
    void tick();
  }

  /** Follow failures on the event stream (resuming after the last id seen). */
  private follow(): void {
    this.sse?.abort();
    const ctrl = new AbortController();
    this.sse = ctrl;
    this.followed = this.url;
    const url = new URL('/api/v1/events?types=task.failed,task.dead,task.expired', this.url);
    if (this.lastEventId) url.searchParams.set('lastEventId', String(this.lastEventId));
    void hubFetch(url, {
      tls: this.tls,
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      signal: ctrl.signal,
    })
      .then(async (res) => {
        if (!res.ok || !res.body) return;
        const reader = res.body.getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += Buffer.from(value).toString();
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (!data) continue;
            const e = JSON.parse(data.slice(6)) as {
              id: number;
              type: string;
              at: number;
              taskId: string;
              queue: string;
              attempt: number;
              error?: { code: string; message: string };
            };
            this.lastEventId = e.id;
            this.failures.unshift({
              at: e.at,
              type: e.type,
              taskId: e.taskId,
              queue: e.queue,
              attempt: e.attempt,
              code: e.error?.code ?? '',
              message: e.error?.message ?? '',
            });
            if (this.failures.length > 200) this.failures.pop();
          }
        }
      })
      .catch(() => undefined);
  }

  async task(id: string): Promise<Record<string, unknown>> {
    return this.get<Record<string, unknown>>(`/api/v1/tasks/${encodeURIComponent(id)}`);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.sse?.abort();
  }
}
