/**
 * Every call the dashboard makes to the hub, in one place, so new endpoints (dead-letter
 * listing, task search) are wired here only. The token lives in memory and sessionStorage:
 * never in a URL, never logged; it goes out only as `Authorization: Bearer`.
 */
import type {
  QueueJson,
  ScheduleJson,
  TaskJson,
  WhoamiJson,
  WorkerJson,
} from '../protocol/rest-types.js';

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

export const authHeaders = (): Record<string, string> =>
  token ? { authorization: `Bearer ${token}` } : {};

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = authHeaders();
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
  at: number;
  version: string;
  uptimeSeconds: number;
  connections: number;
  workers: number;
  tasks: { retained: number; queued: number; delayed: number; leased: number; dead: number };
  totals: Record<string, number>;
  assignmentLatencyMs: { p50: number; p99: number; samples: number };
}

/** GET /health: in a cluster, which hub answered and its role. */
export interface HealthJson {
  status: string;
  version?: string;
  role?: 'leader' | 'edge';
  hubId?: string;
  leader?: string | null;
}

/** GET /api/v1/cluster: the cluster's hubs (server/http/routes/cluster-routes.ts). */
export interface ClusterJson {
  engine: 'embedded' | 'redis';
  at: number;
  hubs: {
    hubId: string;
    role: 'leader' | 'edge' | 'single';
    httpUrl?: string;
    wsUrl?: string;
    lastSeenAt: number;
    self: boolean;
  }[];
}

/** GET /api/v1/status: nodes and workspaces by status. */
export interface HubStatusJson {
  nodes: Record<string, number>;
  workspaces: Record<string, number>;
}

/** The fields of a node the dashboard shows (server/http/schemas/node-json.ts has them all). */
export interface NodeJson {
  id: string;
  name: string;
  address: string | null;
  status: string;
  providers: string[];
  labels: Record<string, string>;
  capabilities: string[];
  lastError: string | null;
  lastSeen: number | null;
}

/** The fields of a workspace the dashboard shows (server/http/schemas/workspace-json.ts). */
export interface WorkspaceJson {
  id: string;
  user: string;
  name: string;
  provider: string;
  nodeName: string | null;
  node: string;
  status: string;
  lastError: string | null;
  ssh: { command: string | null };
  serviceStatus: Record<string, { status: string }>;
}

export interface DeadTaskJson {
  task: TaskJson;
  attempts: {
    attempt: number;
    at: number;
    workerId: string | null;
    error: { code: string; message: string };
  }[];
}

export interface TaskPage {
  tasks: TaskJson[];
  nextCursor: string | null;
}

/** The list filters of GET /api/v1/tasks the task page offers. */
export interface TaskFilter {
  queue?: string;
  state?: string;
  errorCode?: string;
  where?: string;
  cursor?: string;
  limit?: number;
}

const q = encodeURIComponent;
const query = (f: object): string => {
  const s = Object.entries(f)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${q(String(v))}`)
    .join('&');
  return s ? '?' + s : '';
};

export const api = {
  whoami: () => call<WhoamiJson>('GET', '/api/v1/whoami'),
  health: () => call<HealthJson>('GET', '/health'),
  stats: () => call<StatsJson>('GET', '/api/v1/stats'),
  status: () => call<HubStatusJson>('GET', '/api/v1/status'),
  cluster: () => call<ClusterJson>('GET', '/api/v1/cluster'),
  queues: () => call<{ queues: QueueJson[] }>('GET', '/api/v1/queues'),
  workers: () => call<{ workers: WorkerJson[] }>('GET', '/api/v1/workers'),
  drain: (id: string) => call<unknown>('POST', `/api/v1/workers/${q(id)}/drain`),
  disconnect: (id: string) => call<unknown>('POST', `/api/v1/workers/${q(id)}/disconnect`),
  pause: (name: string) => call<QueueJson>('POST', `/api/v1/queues/${q(name)}/pause`),
  resume: (name: string) => call<QueueJson>('POST', `/api/v1/queues/${q(name)}/resume`),
  /** Up to 1,000 of a queue's dead tasks back to queued (the route's default limit). */
  retryDead: (name: string) =>
    call<{ count: number; more: boolean }>('POST', `/api/v1/queues/${q(name)}/retry`, {}),
  purgeDead: (name: string) => call<{ purged: number }>('DELETE', `/api/v1/queues/${q(name)}/dead`),
  tasks: (f: TaskFilter) => call<TaskPage>('GET', `/api/v1/tasks${query({ limit: 50, ...f })}`),
  task: (id: string) => call<TaskJson>('GET', `/api/v1/tasks/${q(id)}`),
  cancel: (id: string) => call<TaskJson>('POST', `/api/v1/tasks/${q(id)}/cancel`),
  retry: (id: string) => call<unknown>('POST', `/api/v1/tasks/${q(id)}/retry`),
  deadTask: (queue: string, id: string) =>
    call<DeadTaskJson>('GET', `/api/v1/queues/${q(queue)}/dead/${q(id)}`),
  deleteDead: (queue: string, id: string) =>
    call<unknown>('DELETE', `/api/v1/queues/${q(queue)}/dead/${q(id)}`),
  nodes: () => call<{ nodes: NodeJson[] }>('GET', '/api/v1/nodes'),
  removeNode: (id: string) => call<unknown>('DELETE', `/api/v1/nodes/${q(id)}`),
  workspaces: () => call<{ workspaces: WorkspaceJson[] }>('GET', '/api/v1/workspaces'),
  workspaceStatus: (id: string, status: 'running' | 'stopped') =>
    call<WorkspaceJson>('PATCH', `/api/v1/workspaces/${q(id)}/status`, { status }),
  deleteWorkspace: (id: string) => call<unknown>('DELETE', `/api/v1/workspaces/${q(id)}`),
  schedules: () => call<{ schedules: ScheduleJson[] }>('GET', '/api/v1/schedules'),
  pauseSchedule: (name: string) => call<ScheduleJson>('POST', `/api/v1/schedules/${q(name)}/pause`),
  resumeSchedule: (name: string) =>
    call<ScheduleJson>('POST', `/api/v1/schedules/${q(name)}/resume`),
  deleteSchedule: (name: string) => call<unknown>('DELETE', `/api/v1/schedules/${q(name)}`),
};
