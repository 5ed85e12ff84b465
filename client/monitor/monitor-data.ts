/** What the monitor shows, as plain data: the same object feeds the TUI, --once and --json. */

// The rows are the hub's own REST shapes (type-only imports: nothing of the server is loaded).
export type {
  QueueJson as QueueRow,
  ScheduleJson as ScheduleRow,
  WorkerJson as WorkerRow,
} from '../../protocol/index.js';
import {
  formatDuration,
  formatRate,
  type QueueJson as QueueRow,
  type ScheduleJson as ScheduleRow,
  type WorkerJson as WorkerRow,
} from '../../protocol/index.js';

export interface Totals {
  submitted: number;
  assigned: number;
  completed: number;
  failed: number;
  retried: number;
  dead: number;
  expired: number;
  cancelled: number;
}

export interface Stats {
  at: number;
  status: string;
  uptimeSeconds: number;
  version: string;
  connections: number;
  workers: number;
  tasks: { retained: number; queued: number; delayed: number; leased: number; dead: number };
  totals: Totals;
  assignmentLatencyMs: { p50: number; p99: number; samples: number };
}

export interface Failure {
  at: number;
  type: string;
  taskId: string;
  queue: string;
  attempt: number;
  code: string;
  message: string;
}

/** A flow's parent waiting on its children (docs/flows.md), as the monitor lists it. */
export interface WaitingParent {
  id: string;
  queue: string;
  createdAt: number;
  /** Its direct children, and how many of them are final. */
  children: number;
  done: number;
  /** The children it still waits on: name (or id), queue and state, oldest first. */
  pending: { name: string; queue: string; state: string }[];
}

export interface MonitorSnapshot {
  url: string;
  stats: Stats;
  queues: QueueRow[];
  workers: WorkerRow[];
  /** Schedules by name (docs/schedules.md); empty from a hub without them. */
  schedules: ScheduleRow[];
  /** Flow parents waiting on children, oldest first (at most WAITING_PARENTS_SHOWN). */
  waitingParents: WaitingParent[];
  /** How many parents wait in all (may be more than are listed). */
  waitingTotal: number;
  failures: Failure[];
  /** Tasks per second over recent samples, oldest first. */
  submittedRate: number[];
  completedRate: number[];
}

/** Worker state as an operator reads it. */
export function workerState(w: WorkerRow): string {
  if (w.state === 'disconnected') return 'offline';
  if (w.state === 'draining') return 'draining';
  return w.busy ? 'busy' : 'idle';
}

export function since(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 60
    ? `${s}s`
    : s < 3600
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: number[], width: number): string {
  const v = values.slice(-width);
  const max = Math.max(1, ...v);
  return v.map((x) => BARS[Math.min(7, Math.floor((x / max) * 7.999))]).join('');
}

export function last(values: number[]): number {
  return values.length ? values[values.length - 1]! : 0;
}

/**
 * A queue's limits in one short cell, with their use: "37/100/1s" (starts in the window of
 * a 100/1s rate), "≤5" (concurrency), "2/tenant (3 full)" (group limit, groups at it).
 */
export function limitSummary(q: QueueRow): string {
  const l = q.limits;
  if (!l) return '-';
  const parts: string[] = [];
  if (l.rate) parts.push(`${l.startsInWindow}/${formatRate(l.rate)}`);
  if (l.concurrency !== null) parts.push(`${q.leased}/≤${l.concurrency}`);
  if (l.group) parts.push(`${l.group.concurrency}/${l.group.key} (${l.groupsAtLimit} full)`);
  return parts.join(' ');
}

/** When a schedule fires, in one short cell: "0 3 * * * (Europe/Berlin)", "every 30s". */
export function scheduleTiming(s: ScheduleRow): string {
  if (s.cron !== null) return `${s.cron}${s.tz && s.tz !== 'UTC' ? ` (${s.tz})` : ''}`;
  return `every ${formatDuration(s.everyMs ?? 0)}`;
}

/** Time until `at`, as the monitor shows it: "in 42s", "in 3m05s"; "due" once it has passed. */
export function until(at: number, now = Date.now()): string {
  return at <= now ? 'due' : `in ${since(now, at)}`;
}
