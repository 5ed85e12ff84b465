import type { TaskFailure } from './records.js';

/** One attempt that ended without a result: failed, timed out, or lost its lease. */
export interface AttemptRecord {
  attempt: number;
  /** When it ended (Unix ms). */
  at: number;
  workerId: string | undefined;
  error: TaskFailure;
}

/** A task keeps its last this many failed attempts (older ones are dropped first). */
export const MAX_ATTEMPTS_KEPT = 25;

/**
 * The failed attempts of tasks, for inspecting a dead letter (docs/dead-letters.md). Kept
 * beside the task table, not on the record: a task that never fails costs nothing, and the
 * hot path (submit, lease, complete) never touches it.
 */
export class AttemptHistory {
  private readonly byTask = new Map<string, AttemptRecord[]>();

  get size(): number {
    return this.byTask.size;
  }

  record(taskId: string, rec: AttemptRecord): void {
    const list = this.byTask.get(taskId);
    if (!list) {
      this.byTask.set(taskId, [rec]);
      return;
    }
    list.push(rec);
    if (list.length > MAX_ATTEMPTS_KEPT) list.shift();
  }

  of(taskId: string): readonly AttemptRecord[] {
    return this.byTask.get(taskId) ?? [];
  }

  forget(taskId: string): void {
    // Most hubs have no failed task at all: skip the hash on the eviction path then.
    if (this.byTask.size) this.byTask.delete(taskId);
  }

  snapshot(): { id: string; attempts: AttemptRecord[] }[] {
    return [...this.byTask].map(([id, attempts]) => ({
      id,
      attempts: attempts.map((a) => ({ ...a })),
    }));
  }

  restore(entries: { id: string; attempts: AttemptRecord[] }[] | undefined): void {
    for (const e of entries ?? []) this.byTask.set(e.id, e.attempts.slice(-MAX_ATTEMPTS_KEPT));
  }
}
