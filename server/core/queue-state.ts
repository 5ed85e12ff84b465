import { PRIORITY_NAMES } from '../../protocol/index.js';
import { Deque } from './deque.js';
import type { TaskRecord } from './records.js';

/**
 * Tasks of one priority level that need the same capabilities. Splitting a level by
 * requirement set is what lets a worker find a task it can run in O(distinct requirement
 * sets) instead of scanning past tasks it cannot take (head-of-line blocking).
 */
interface SubQueue {
  requires: readonly string[];
  tasks: Deque<TaskRecord>;
  /** The task's `gen` when it was pushed, in lockstep with `tasks`: an entry whose gen no
   * longer matches is stale (the task left and came back), so a task is never queued twice. */
  gens: Deque<number>;
}

/** Priority levels (protocol/priority.ts), served strictly in order: index 0 first. */
export const LEVELS = PRIORITY_NAMES.length;

/**
 * One named queue: one FIFO per priority level. Removal from the middle (cancel,
 * expiry) is lazy: the task's state changes and the stale entry is skipped when it
 * reaches the head. Depth counters are kept exact.
 */
export class QueueState {
  readonly name: string;
  paused = false;
  /** Runnable (state `queued`) tasks per level. */
  readonly depth: number[] = PRIORITY_NAMES.map(() => 0);
  delayed = 0;
  leased = 0;
  readonly dead = new Set<string>();
  private readonly levels: Map<string, SubQueue>[] = PRIORITY_NAMES.map(() => new Map());
  /** Sum of `depth`, kept in step with it (dispatch reads it on every lease). */
  private queued = 0;

  constructor(name: string) {
    this.name = name;
  }

  get runnable(): number {
    return this.queued;
  }

  /** Append at the back (new tasks, retries after backoff). */
  push(task: TaskRecord): void {
    const sq = this.sub(task);
    sq.tasks.push(task);
    sq.gens.push(++task.gen);
    this.depth[task.priority]!++;
    this.queued++;
  }

  /** Put back at the front (a lease was lost: the task was next in line already). */
  pushFront(task: TaskRecord): void {
    const sq = this.sub(task);
    sq.tasks.unshift(task);
    sq.gens.unshift(++task.gen);
    this.depth[task.priority]!++;
    this.queued++;
  }

  /** A queued task left the queue by other means than `take` (cancel, expiry). */
  forget(task: TaskRecord): void {
    this.depth[task.priority]!--;
    this.queued--;
  }

  /**
   * Remove and return the next task a worker with `caps` may run: highest level first,
   * then the lowest seq among the heads of the sub-queues whose requirements it meets.
   */
  take(caps: ReadonlySet<string>): TaskRecord | undefined {
    for (let level = 0; level < LEVELS; level++) {
      const task = this.takeAt(level, caps);
      if (task) return task;
    }
    return undefined;
  }

  /** Like `take`, from one priority level only. */
  takeAt(level: number, caps: ReadonlySet<string>): TaskRecord | undefined {
    if (this.depth[level] === 0) return undefined;
    let best: SubQueue | undefined;
    let bestHead: TaskRecord | undefined;
    for (const sq of this.levels[level]!.values()) {
      const head = this.head(sq);
      if (!head) continue;
      if (!satisfies(caps, sq.requires)) continue;
      if (!bestHead || head.seq < bestHead.seq) {
        best = sq;
        bestHead = head;
      }
    }
    if (!best || !bestHead) return undefined;
    best.tasks.shift();
    best.gens.shift();
    this.depth[level]!--;
    this.queued--;
    return bestHead;
  }

  /** The queued tasks in dispatch order within each sub-queue (for snapshots and listings). */
  *queuedInOrder(): IterableIterator<TaskRecord> {
    for (const level of this.levels) {
      for (const sq of level.values()) {
        const gens = sq.gens[Symbol.iterator]();
        for (const task of sq.tasks) {
          const gen = gens.next().value as number;
          if (task.state === 'queued' && task.gen === gen) yield task;
        }
      }
    }
  }

  /** Drop stale entries at the head so the head is always a live queued task. */
  private head(sq: SubQueue): TaskRecord | undefined {
    let head = sq.tasks.peek();
    while (head && (head.state !== 'queued' || head.gen !== sq.gens.peek())) {
      sq.tasks.shift();
      sq.gens.shift();
      head = sq.tasks.peek();
    }
    return head;
  }

  private sub(task: TaskRecord): SubQueue {
    const key = task.options.requires ? task.options.requires.join('\u0000') : '';
    const level = this.levels[task.priority]!;
    let sq = level.get(key);
    if (!sq) {
      sq = { requires: task.options.requires ?? [], tasks: new Deque(), gens: new Deque() };
      level.set(key, sq);
    }
    return sq;
  }
}

function satisfies(caps: ReadonlySet<string>, requires: readonly string[]): boolean {
  for (let i = 0; i < requires.length; i++) if (!caps.has(requires[i]!)) return false;
  return true;
}
