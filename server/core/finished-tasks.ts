import { MinHeap } from './min-heap.js';
import type { TaskRecord } from './records.js';

const KEPT = new Set(['completed', 'expired', 'cancelled']);

/**
 * Finished tasks kept for result lookups (completed, expired, cancelled; dead tasks wait for
 * an operator instead): each until its resultTtlMs has passed, and never more than `max`
 * at once. Which task goes next is a total order — expiry time, then seq — so the live
 * hub, its WAL replay and a hub restored from a snapshot always pick the same one.
 */
export class FinishedTasks {
  private readonly heap = new MinHeap<string>();
  private count = 0;

  constructor(private readonly max: number) {}

  static isKept(task: TaskRecord): boolean {
    return KEPT.has(task.state);
  }

  /** A task just finished (or was restored finished). */
  add(task: TaskRecord): void {
    this.heap.push(task.finishedAt + task.options.resultTtlMs, task.id, task.seq);
    this.count++;
  }

  /** A kept task left the core (evicted or otherwise dropped). */
  removed(): void {
    this.count--;
  }

  get overLimit(): boolean {
    return this.count > this.max;
  }

  /** When the next one expires, for the caller's gc timer. */
  nextExpiry(): number | undefined {
    return this.heap.peekKey();
  }

  /**
   * The kept task to evict next, if it expires by `limit`; undefined when none does. Heap
   * entries whose task is gone or finished again later are skipped.
   */
  next(
    tasks: { get(id: string): TaskRecord | undefined },
    limit = Infinity,
  ): TaskRecord | undefined {
    for (;;) {
      const at = this.heap.peekKey();
      if (at === undefined || at > limit) return undefined;
      const task = tasks.get(this.heap.pop()!);
      if (!task || !FinishedTasks.isKept(task)) continue;
      if (task.finishedAt + task.options.resultTtlMs !== at) continue;
      return task;
    }
  }
}
