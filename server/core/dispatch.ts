import type { CoreState } from './core-state.js';
import { FreeWorkers } from './free-workers.js';
import { grantLease } from './leases.js';
import { LEVELS, type QueueState } from './queue-state.js';
import type { TaskRecord, WorkerRecord } from './records.js';

/**
 * Dispatch: which queued task a worker gets next, and when. One rule for push workers (who
 * are handed tasks as tasks and slots appear) and pull workers (who ask).
 */

/**
 * Take the task `worker` should run next off its queue: the highest priority level first,
 * across all the queues it serves; within a level its queues in the order it listed them,
 * and within a queue the oldest task whose requirements its capabilities meet. Paused
 * queues give nothing. Undefined when nothing waiting is for this worker.
 */
export function nextTaskFor(
  s: CoreState,
  worker: WorkerRecord,
  now: number,
): TaskRecord | undefined {
  const names = worker.queues;
  for (let level = 0; level < LEVELS; level++) {
    for (let i = 0; i < names.length; i++) {
      const queue = s.queues.get(names[i]!);
      if (!queue || queue.paused || queue.depth[level] === 0) continue;
      if (queue.limits !== undefined && !admits(s, queue, now)) continue;
      const task = queue.takeAt(level, worker.capabilities);
      if (task) return task;
    }
  }
  return undefined;
}

/** Tasks arrived in `queue`: hand out work to its free push workers, round-robin. */
export function dispatchQueue(s: CoreState, queue: QueueState, now: number): void {
  if (queue.paused || queue.runnable === 0) return;
  const free = s.free.of(queue.name);
  if (!free || free.size === 0) return;
  let misses = 0;
  while (queue.runnable > 0 && free.size > 0 && misses < free.size) {
    if (queue.limits !== undefined && !admits(s, queue, now)) return;
    const worker = free.values().next().value as WorkerRecord;
    const task = nextTaskFor(s, worker, now);
    // Rotate so the next task goes to the next free worker.
    free.delete(worker);
    if (!task) {
      free.add(worker);
      misses++;
      continue;
    }
    misses = 0;
    grantLease(s, task, worker, now);
    if (FreeWorkers.canTake(worker)) free.add(worker);
  }
}

/** A push worker has free slots (registered, or a lease ended): fill them. */
export function fillWorker(s: CoreState, worker: WorkerRecord, now: number): void {
  while (FreeWorkers.canTake(worker)) {
    const task = nextTaskFor(s, worker, now);
    if (!task) return;
    grantLease(s, task, worker, now);
  }
}

/** A worker asks for work: lease up to `max` tasks to it now, as its free slots allow. */
export function pullFor(
  s: CoreState,
  worker: WorkerRecord,
  max: number,
  now: number,
): TaskRecord[] {
  const leased: TaskRecord[] = [];
  const limit = Math.min(max, worker.concurrency - worker.running.size);
  for (let n = 0; n < limit && worker.state === 'active'; n++) {
    const task = nextTaskFor(s, worker, now);
    if (!task) break;
    grantLease(s, task, worker, now);
    leased.push(task);
  }
  return leased;
}

/**
 * A lease ended: the worker's slot is free, and under a concurrency or group cap so is one of
 * its queue's, which any free worker of that queue may take (not only this one).
 */
export function refill(
  s: CoreState,
  worker: WorkerRecord | undefined,
  queueName: string,
  now: number,
): void {
  if (worker) fillWorker(s, worker, now);
  const queue = s.queues.get(queueName);
  if (queue?.limits?.caps) dispatchQueue(s, queue, now);
}

/**
 * Whether the queue's rate and concurrency let one more task start now (group caps are
 * checked per group when the task is taken). Held by the rate with tasks waiting, the
 * queue gets a wakeup for when the window lets the next one start, so it is dispatched then
 * and not only on the next submit or completion.
 */
function admits(s: CoreState, queue: QueueState, now: number): boolean {
  const limits = queue.limits!;
  const cap = limits.spec.concurrency;
  if (cap !== undefined && queue.leased >= cap) return false;
  const opensAt = limits.rateOpensAt(now);
  if (opensAt <= now) return true;
  if (limits.wakeAt === 0 || limits.wakeAt > opensAt || limits.wakeAt <= now) {
    limits.wakeAt = opensAt;
    s.wakeups.at(opensAt, { kind: 'limit', queue: queue.name, at: opensAt });
  }
  return false;
}
