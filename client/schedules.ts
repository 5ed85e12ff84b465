import type { MissedPolicy, ScheduleJson, ScheduleTaskSpec } from '../protocol/index.js';
import { ErrorCode } from '../protocol/index.js';
import { HubError, SwitchboardError } from './errors.js';
import { fetchFromHubs, NoHubAnsweredError } from './fetch-from-hubs.js';
import type { TlsClientOptions } from './hub-fetch.js';
import { HubUrlList, type HubUrls } from './hub-urls.js';

export interface SchedulesOptions {
  /** The hub's HTTP side port (http://host:9500), or several hubs of one cluster. */
  url: HubUrls;
  /** A producer or admin token (auth on). */
  token?: string;
  tls?: TlsClientOptions;
  /** How long one request may take, ms. Default 10 s. */
  timeoutMs?: number;
}

/** When a schedule fires: a cron expression (optional seconds field, zone) or an interval. */
export type ScheduleTiming =
  { cron: string; tz?: string; everyMs?: never } | { everyMs: number; cron?: never; tz?: never };

export type ScheduleOptions = ScheduleTiming & {
  /** The task each fire submits: queue, payload, priority and the task options. */
  task: ScheduleTaskSpec;
  /** A fire that fell due while no hub ran: `run-once` (default) or `skip`. */
  missed?: MissedPolicy;
};

export type Schedule = ScheduleJson;

/**
 * Schedules over the hub's REST API (docs/schedules.md): cron or interval schedules that
 * submit a task from a template at each fire. The hub keeps and fires them (the leader, on
 * the Redis engine), durably; this client only manages them.
 *
 * ```ts
 * const schedules = new Schedules({ url: 'http://127.0.0.1:9500' });
 * await schedules.add('nightly-report', {
 *   cron: '0 30 2 * * *', tz: 'Europe/Berlin',
 *   task: { queue: 'reports', payload: { kind: 'daily' } },
 * });
 * ```
 */
export class Schedules {
  private readonly hubs: HubUrlList;

  constructor(private readonly options: SchedulesOptions) {
    this.hubs = new HubUrlList(options.url, 'http');
  }

  /** Create a schedule; throws ConflictError (SCHEDULE_EXISTS) when the name is taken. */
  add(name: string, schedule: ScheduleOptions): Promise<Schedule> {
    return this.call('POST', '/api/v1/schedules', { name, ...schedule });
  }

  async list(): Promise<Schedule[]> {
    const { schedules } = await this.call<{ schedules: Schedule[] }>('GET', '/api/v1/schedules');
    return schedules;
  }

  /** One schedule; throws NotFoundError (SCHEDULE_NOT_FOUND) when there is none. */
  get(name: string): Promise<Schedule> {
    return this.call('GET', this.path(name));
  }

  pause(name: string): Promise<Schedule> {
    return this.call('POST', `${this.path(name)}/pause`);
  }

  /** Fires again from the first occurrence after now (nothing made up). */
  resume(name: string): Promise<Schedule> {
    return this.call('POST', `${this.path(name)}/resume`);
  }

  /** Remove it; the tasks it made stay. Resolves with the schedule as it was. */
  remove(name: string): Promise<Schedule> {
    return this.call('DELETE', this.path(name));
  }

  private path(name: string): string {
    return `/api/v1/schedules/${encodeURIComponent(name)}`;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let response: Response;
    try {
      ({ response } = await fetchFromHubs(this.hubs, path, {
        method,
        headers,
        tls: this.options.tls,
        timeoutMs: this.options.timeoutMs ?? 10_000,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }));
    } catch (err) {
      if (err instanceof NoHubAnsweredError)
        throw new SwitchboardError(ErrorCode.CONNECTION_CLOSED, `no hub answered: ${err.message}`, {
          cause: err,
        });
      throw err;
    }
    const text = await response.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (response.ok) return json as T;
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw HubError.fromFrame({
      code: error?.code ?? 'INTERNAL',
      message: error?.message ?? `HTTP ${response.status}`,
    });
  }
}
