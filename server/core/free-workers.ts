import type { WorkerRecord } from './records.js';

/**
 * Which workers can take another task, per queue. A Set per queue: insertion order is the
 * round-robin order, and a worker that takes a task is moved to the back.
 */
export class FreeWorkers {
  private readonly byQueue = new Map<string, Set<WorkerRecord>>();

  /** Pull workers are never pushed to: they ask (`worker.pull`). */
  static canTake(worker: WorkerRecord): boolean {
    return (
      worker.kind === 'push' &&
      worker.state === 'active' &&
      worker.running.size < worker.concurrency
    );
  }

  /** The free workers of a queue, in round-robin order (the caller rotates them). */
  of(queue: string): Set<WorkerRecord> | undefined {
    return this.byQueue.get(queue);
  }

  markFree(worker: WorkerRecord): void {
    if (!FreeWorkers.canTake(worker)) return;
    for (const name of worker.queues) {
      let set = this.byQueue.get(name);
      if (!set) this.byQueue.set(name, (set = new Set()));
      set.add(worker);
    }
  }

  markBusy(worker: WorkerRecord): void {
    for (const name of worker.queues) this.byQueue.get(name)?.delete(worker);
  }
}
