/**
 * Every call the dashboard makes to the hub, in one place, so new endpoints (dead-letter
 * listing, task search) are wired here only. The token lives in memory and sessionStorage:
 * never in a URL, never logged; it goes out only as `Authorization: Bearer`.
 */
import type { QueueJson, TaskJson, WhoamiJson, WorkerJson } from '../protocol/rest-types.js';

const KEY = 'switchboard.token';
let token: string | null = sessionStorage.getItem(KEY);

export const hasToken = (): boolean => token !== null;
export function signIn(t: string): void {
  token = t;
  sessionStorage.setItem(KEY, t);
}
export function signOut(): void {
  token = null;
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    cache: 'no-store',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json().catch(() => ({}))) as {
    error?: { code: string; message: string };
  };
  if (!res.ok)
    throw new ApiError(
      res.status,
      json.error?.code ?? 'HTTP',
      json.error?.message ?? res.statusText,
    );
  return json as T;
}

export interface StatsJson {
  workers: number;
  tasks: { retained: number; queued: number; delayed: number; leased: number; dead: number };
  totals: Record<string, number>;
}

const q = encodeURIComponent;
export const api = {
  whoami: () => call<WhoamiJson>('GET', '/api/v1/whoami'),
  stats: () => call<StatsJson>('GET', '/api/v1/stats'),
  queues: () => call<{ queues: QueueJson[] }>('GET', '/api/v1/queues'),
  workers: () => call<{ workers: WorkerJson[] }>('GET', '/api/v1/workers'),
  pause: (name: string) => call<QueueJson>('POST', `/api/v1/queues/${q(name)}/pause`),
  resume: (name: string) => call<QueueJson>('POST', `/api/v1/queues/${q(name)}/resume`),
  purgeDead: (name: string) => call<{ purged: number }>('DELETE', `/api/v1/queues/${q(name)}/dead`),
  /** Dead letters of every queue, a bounded page (the dlq branch's listing will replace this). */
  deadTasks: () =>
    call<{ tasks: TaskJson[]; nextCursor: string | null }>(
      'GET',
      '/api/v1/tasks?state=dead&limit=100',
    ),
  retry: (id: string) => call<unknown>('POST', `/api/v1/tasks/${q(id)}/retry`),
};
