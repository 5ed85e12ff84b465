import { ErrorCode } from '../../protocol/index.js';
import { fail, OK, type CommandResult } from './command-result.js';
import type { RegisterWorkerCommand, RegisterWorkerKind } from './commands.js';
import type { CoreState } from './core-state.js';
import { fillWorker, pullFor } from './dispatch.js';
import type { WorkerKind, WorkerRecord } from './records.js';
import { loseLease } from './task-lifecycle.js';

/**
 * Workers: register (and re-register after a reconnect, keeping the leases it claims),
 * heartbeat, pull, drain, disconnect (leases kept for a grace period) and removal (leases
 * lost). Push workers are handed tasks; pull workers ask for them.
 */

/** Most workers offer no capabilities; they share one empty set instead of ~150 B each. */
const NO_CAPABILITIES: ReadonlySet<string> = new Set();
function capabilitySet(list: readonly string[] | undefined): ReadonlySet<string> {
  return list && list.length > 0 ? new Set(list) : NO_CAPABILITIES;
}

/** The kind a register asks for; 'ws' and 'http' are its names from before push/pull. */
export function workerKind(kind: RegisterWorkerKind): WorkerKind {
  return kind === 'ws' ? 'push' : kind === 'http' ? 'pull' : kind;
}

/** What the user knows each kind by, for messages (WebSocket workers are pushed to). */
const KIND_LABEL: Record<WorkerKind, string> = { push: 'WebSocket', pull: 'HTTP' };

export function register(s: CoreState, cmd: RegisterWorkerCommand): CommandResult {
  const kind = workerKind(cmd.kind);
  const hbTimeout = kind === 'pull' ? s.options.httpLeaseTimeoutMs : s.options.heartbeatTimeoutMs;
  let worker = s.workers.get(cmd.workerId);
  const resumed: string[] = [];
  const dropped: string[] = [];
  if (worker) {
    if (worker.owner !== cmd.owner)
      return fail(ErrorCode.FORBIDDEN, `worker id ${cmd.workerId} belongs to another identity`);
    if (worker.kind !== kind && worker.session !== undefined)
      return fail(
        ErrorCode.CONFLICT,
        `worker ${cmd.workerId} is connected over ${KIND_LABEL[worker.kind]}; ` +
          'disconnect it or use another worker id',
      );
    // A reconnect (or a replacement): keep the leases the worker says it still runs, of
    // the queues it registers for now.
    const queues = new Set(cmd.queues);
    s.free.markBusy(worker);
    // Out of dispatch until its new settings are in: a lease released just below would
    // otherwise go straight back to it under the old concurrency (found by the property test).
    worker.state = 'disconnected';
    const claimed = new Map((cmd.running ?? []).map((r) => [r.taskId, r.attempt]));
    // Each lost lease goes to the front of its queue: newest first keeps their order.
    const held = [...worker.running].map((id) => s.tasks.get(id)!);
    for (const task of held.sort((a, b) => b.seq - a.seq)) {
      if (claimed.get(task.id) !== task.attempt || !queues.has(task.queue))
        loseLease(s, task, cmd.now, 'worker-restarted');
    }
    worker.kind = kind;
    worker.session = cmd.session;
    worker.queues = [...new Set(cmd.queues)];
    worker.capabilities = capabilitySet(cmd.capabilities);
    worker.concurrency = cmd.concurrency;
    worker.state = 'active';
    worker.lastSeen = cmd.now;
    worker.epoch++;
    worker.heartbeatTimeoutMs = hbTimeout;
    if (cmd.name !== undefined) worker.name = cmd.name;
  } else {
    worker = {
      id: cmd.workerId,
      name: cmd.name,
      kind,
      owner: cmd.owner,
      session: cmd.session,
      queues: [...new Set(cmd.queues)],
      capabilities: capabilitySet(cmd.capabilities),
      concurrency: cmd.concurrency,
      running: new Set(),
      state: 'active',
      connectedAt: cmd.now,
      lastSeen: cmd.now,
      disconnectedAt: 0,
      epoch: 1,
      heartbeatTimeoutMs: hbTimeout,
      completed: 0,
      failed: 0,
    };
    s.workers.set(worker.id, worker);
    s.wakeups.at(cmd.now + hbTimeout, { kind: 'heartbeat', worker });
  }
  for (const r of cmd.running ?? []) {
    if (worker.running.has(r.taskId)) resumed.push(r.taskId);
    else dropped.push(r.taskId);
  }
  for (const name of worker.queues) s.queue(name);
  s.emit({ type: 'worker.registered', worker, resumed, dropped });
  if (worker.kind === 'push') {
    s.free.markFree(worker);
    fillWorker(s, worker, cmd.now);
  }
  return { ok: true, resumed, dropped };
}

/** A worker asks for work (pull workers do; it is also a sign of life). */
export function pull(s: CoreState, workerId: string, max: number, now: number): CommandResult {
  const worker = s.workers.get(workerId);
  if (!worker) return fail(ErrorCode.WORKER_NOT_FOUND, `no worker ${workerId}; register first`);
  worker.lastSeen = now;
  return { ok: true, leased: pullFor(s, worker, max, now) };
}

export function heartbeat(s: CoreState, workerId: string, now: number): CommandResult {
  const worker = s.workers.get(workerId);
  if (!worker) return notFound(workerId);
  if (now > worker.lastSeen) worker.lastSeen = now;
  return OK;
}

export function disconnect(
  s: CoreState,
  workerId: string,
  now: number,
  session?: string,
): CommandResult {
  const worker = s.workers.get(workerId);
  if (!worker) return notFound(workerId);
  if (session !== undefined && worker.session !== session) return OK; // superseded session
  s.free.markBusy(worker);
  worker.state = 'disconnected';
  worker.session = undefined;
  worker.disconnectedAt = now;
  worker.epoch++;
  if (worker.running.size === 0) {
    removeWorker(s, worker, now, 'unregistered');
    return OK;
  }
  s.wakeups.at(now + s.options.disconnectGraceMs, {
    kind: 'grace',
    workerId,
    epoch: worker.epoch,
  });
  s.emit({ type: 'worker.disconnected', worker });
  return OK;
}

export function drain(s: CoreState, workerId: string): CommandResult {
  const worker = s.workers.get(workerId);
  if (!worker) return notFound(workerId);
  if (worker.state === 'active') {
    s.free.markBusy(worker);
    worker.state = 'draining';
    s.emit({ type: 'worker.draining', worker });
  }
  return OK;
}

export function unregister(s: CoreState, workerId: string, now: number): CommandResult {
  const worker = s.workers.get(workerId);
  if (!worker) return notFound(workerId);
  removeWorker(s, worker, now, 'unregistered');
  return OK;
}

export function removeWorker(
  s: CoreState,
  worker: WorkerRecord,
  now: number,
  reason: 'unregistered' | 'heartbeat-timeout' | 'grace-expired',
): void {
  s.free.markBusy(worker);
  s.workers.delete(worker.id);
  worker.state = 'disconnected';
  // Newest lease first: each goes to the front, so the oldest ends up first in line.
  for (const taskId of [...worker.running].reverse())
    loseLease(s, s.tasks.get(taskId)!, now, reason);
  s.emit({ type: 'worker.removed', worker, reason });
}

function notFound(workerId: string): CommandResult {
  return fail(ErrorCode.WORKER_NOT_FOUND, `no worker ${workerId}`);
}
