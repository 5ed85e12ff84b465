/**
 * The JSON shapes of the REST API (/api/v1), shared by the hub that renders them and the
 * clients (CLI, monitor) that read them. Types only.
 */

import type { ScheduleTaskSpec } from './schedule-spec.js';

/** The JSON shape of a task in the REST API and event stream (camelCase, ISO-free ms times). */
export interface TaskJson {
  id: string;
  queue: string;
  state: string;
  priority: string;
  payload: unknown;
  attempt: number;
  maxAttempts: number;
  timeoutMs: number;
  runAt: number;
  expiresAt: number | null;
  requires: string[];
  idempotencyKey: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  workerId: string | null;
  progress: unknown;
  result: unknown;
  error: { code: string; message: string; details?: unknown } | null;
  /** A child of a flow: its parent's id. */
  parentId?: string;
  /** A parent of a flow: its children that are final, with their outcomes (docs/flows.md). */
  children?: {
    taskId: string;
    name?: string;
    queue: string;
    state: string;
    result?: unknown;
    error?: { code: string; message: string; details?: unknown };
  }[];
}

export interface WorkerJson {
  id: string;
  name: string | null;
  kind: string;
  state: string;
  busy: boolean;
  queues: string[];
  capabilities: string[];
  concurrency: number;
  running: string[];
  connectedAt: number;
  lastSeen: number;
  completed: number;
  failed: number;
}

export interface QueueJson {
  name: string;
  paused: boolean;
  depth: Record<string, number>;
  queued: number;
  delayed: number;
  /** Flow parents waiting for their children. */
  waiting: number;
  leased: number;
  dead: number;
  workers: number;
  /** Rate, concurrency and group limits (docs/rate-limits.md); null: none. */
  limits: QueueLimitsJson | null;
}

export interface QueueLimitsJson {
  rate: { count: number; perMs: number; burst: number } | null;
  concurrency: number | null;
  group: { key: string; concurrency: number } | null;
  /** Attempts started in the rate's current window (0 without a rate). */
  startsInWindow: number;
  /** Groups running as many tasks as they may (0 without a group limit). */
  groupsAtLimit: number;
  /** Groups with one or more tasks running. */
  groupsRunning: number;
}

/** A schedule as the REST API shows it (docs/schedules.md). */
export interface ScheduleJson {
  name: string;
  id: string;
  /** Exactly one of cron and everyMs is set. */
  cron: string | null;
  /** The cron expression's time zone (null with everyMs). */
  tz: string | null;
  everyMs: number | null;
  missed: 'run-once' | 'skip';
  paused: boolean;
  /** The task each fire makes. */
  task: ScheduleTaskSpec;
  createdAt: number;
  /** The next occurrence (Unix ms); null while paused or when the expression has no more. */
  nextAt: number | null;
  /** The occurrence of the last fire (Unix ms), null before the first. */
  lastFireAt: number | null;
  /** The task the last fire made; null before it, or when that fire was skipped. */
  lastTaskId: string | null;
  /** Tasks made so far. */
  fires: number;
  /** Occurrences that fell due while no hub ran and were skipped (policy `skip`). */
  skipped: number;
}

/** GET /api/v1/whoami: what the token presented is (docs/dashboard.md). */
export interface WhoamiJson {
  role: 'worker' | 'producer' | 'admin';
  subject: string | null;
  tokenId: string | null;
  /** Queue names or `prefix*` globs the token may use; null: every queue. */
  queues: string[] | null;
  /** Unix ms; null: never. */
  expiresAt: number | null;
  /** false: the hub runs without authentication (development preset), every caller is admin. */
  auth: boolean;
}
