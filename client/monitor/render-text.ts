import {
  last,
  limitSummary,
  scheduleTiming,
  since,
  until,
  sparkline,
  workerState,
  type MonitorSnapshot,
  type QueueRow,
  type ScheduleRow,
  type WaitingParent,
  type WorkerRow,
} from './monitor-data.js';

function table(headers: string[], rows: string[][], width: number): string[] {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .slice(0, width)
      .trimEnd(),
  );
}

export function queueLines(queues: QueueRow[], width: number): string[] {
  if (!queues.length) return ['(no queues yet)'];
  return table(
    [
      'QUEUE',
      'STATE',
      'CRIT',
      'HIGH',
      'NORM',
      'LOW',
      'DELAYED',
      'WAITING',
      'LEASED',
      'DEAD',
      'WORKERS',
      'LIMITS',
    ],
    queues.map((q) => [
      q.name,
      q.paused ? 'paused' : 'active',
      String(q.depth.critical ?? 0),
      String(q.depth.high ?? 0),
      String(q.depth.normal ?? 0),
      String(q.depth.low ?? 0),
      String(q.delayed),
      String(q.waiting ?? 0),
      String(q.leased),
      String(q.dead),
      String(q.workers),
      limitSummary(q),
    ]),
    width,
  );
}

export function workerLines(workers: WorkerRow[], width: number, now = Date.now()): string[] {
  if (!workers.length) return ['(no workers connected)'];
  return table(
    ['WORKER', 'STATE', 'QUEUES', 'RUNNING', 'DONE', 'FAILED', 'HEARTBEAT'],
    workers.map((w) => [
      w.id,
      workerState(w),
      w.queues.join(','),
      `${w.running.length}/${w.concurrency}`,
      String(w.completed),
      String(w.failed),
      `${since(w.lastSeen, now)} ago`,
    ]),
    width,
  );
}

export function scheduleLines(schedules: ScheduleRow[], width: number, now = Date.now()): string[] {
  if (!schedules.length) return ['(no schedules)'];
  return table(
    ['SCHEDULE', 'STATE', 'WHEN', 'QUEUE', 'NEXT', 'LAST', 'FIRES', 'SKIPPED'],
    schedules.map((s) => [
      s.name,
      s.paused ? 'paused' : 'active',
      scheduleTiming(s),
      s.task.queue,
      s.nextAt === null ? '-' : until(s.nextAt, now),
      s.lastFireAt === null ? '-' : `${since(s.lastFireAt, now)} ago`,
      String(s.fires),
      String(s.skipped),
    ]),
    width,
  );
}

/** Flow parents waiting on children: how many are done, and what each still waits on. */
export function waitingLines(parents: WaitingParent[], width: number, now = Date.now()): string[] {
  if (!parents.length) return ['(no flow waiting on children)'];
  return table(
    ['PARENT', 'QUEUE', 'CHILDREN', 'WAITING', 'WAITING ON'],
    parents.map((p) => [
      p.id,
      p.queue,
      `${p.done}/${p.children} done`,
      since(p.createdAt, now),
      p.pending.map((c) => `${c.name} (${c.queue}, ${c.state})`).join(', '),
    ]),
    width,
  );
}

/** The heading of the waiting-parents section: "WAITING PARENTS (3)", "(8 of 120)". */
export function waitingTitle(s: MonitorSnapshot): string {
  const shown = s.waitingParents.length;
  return `WAITING PARENTS (${shown < s.waitingTotal ? `${shown} of ${s.waitingTotal}` : shown})`;
}

export function failureLines(s: MonitorSnapshot, width: number, now = Date.now()): string[] {
  if (!s.failures.length) return ['(no failures)'];
  return table(
    ['WHEN', 'EVENT', 'TASK', 'QUEUE', 'ATTEMPT', 'ERROR'],
    s.failures.map((f) => [
      `${since(f.at, now)} ago`,
      f.type.replace('task.', ''),
      f.taskId,
      f.queue,
      String(f.attempt),
      `${f.code}: ${f.message}`,
    ]),
    width,
  );
}

export function headerLines(s: MonitorSnapshot, width: number): string[] {
  const st = s.stats;
  return [
    `switchboard ${st.version} @ ${s.url} — ${st.status}, up ${st.uptimeSeconds}s, ${st.connections} connections, ${st.workers} workers`,
    `tasks: ${st.tasks.queued} queued, ${st.tasks.delayed} delayed, ${st.tasks.leased} running, ${st.tasks.dead} dead${s.waitingTotal ? `, ${s.waitingTotal} waiting on children` : ''} · totals: ${st.totals.submitted} submitted, ${st.totals.completed} completed, ${st.totals.failed} failed`,
    `submitted/s ${last(s.submittedRate).toFixed(0).padStart(7)} ${sparkline(s.submittedRate, Math.max(10, width - 40))}`,
    `completed/s ${last(s.completedRate).toFixed(0).padStart(7)} ${sparkline(s.completedRate, Math.max(10, width - 40))}`,
    `assignment latency p50 ${st.assignmentLatencyMs.p50.toFixed(1)} ms · p99 ${st.assignmentLatencyMs.p99.toFixed(1)} ms (last ${st.assignmentLatencyMs.samples} assignments)`,
  ].map((l) => l.slice(0, width));
}

/** The plain-text snapshot of `switchboard monitor --once`. */
export function renderText(s: MonitorSnapshot, width = 120): string {
  return [
    ...headerLines(s, width),
    '',
    'QUEUES',
    ...queueLines(s.queues, width),
    '',
    'WORKERS',
    ...workerLines(s.workers, width),
    '',
    'SCHEDULES',
    ...scheduleLines(s.schedules, width),
    '',
    waitingTitle(s),
    ...waitingLines(s.waitingParents, width),
    '',
    'RECENT FAILURES',
    ...failureLines(s, width).slice(0, 11),
  ].join('\n');
}
