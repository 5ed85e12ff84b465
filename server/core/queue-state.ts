import { PRIORITY_NAMES } from '../../protocol/index.js';
import { Deque } from './deque.js';
import type { QueueLimits } from './queue-limits.js';
import type { TaskRecord } from './records.js';

/**
 * Tasks of one priority level that need the same capabilities. Splitting a level by
 * requirement set is what lets a worker find a task it can run in O(distinct requirement
 * sets) instead of scanning past tasks it cannot take (head-of-line blocking).
 */
interface SubQueue {
  key: string;
  requires: readonly string[];
  tasks: Deque<TaskRecord>;
  /** The task's `gen` when it was pushed, in lockstep with `tasks`: an entry whose gen no
   * longer matches is stale (the task left and came back), so a task is never queued twice. */
  gens: Deque<number>;
  /** Under a group limit, the group of the tasks in it (one sub-queue per group value, so a
   * full group's tasks wait without blocking the tasks of other groups behind them). */
  group: string | undefined;
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
  /** Flow parents waiting for their children (state `waiting-children`): not runnable. */
  waiting = 0;
  leased = 0;
  readonly dead = new Set<string>();
  /** Rate, concurrency and group limits (queue-limits.ts); undefined: none, and no cost. */
  limits: QueueLimits | undefined = undefined;
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
    const subs = this.levels[level]!;
    for (const sq of subs.values()) {
      const head = this.head(sq);
      if (!head) {
        // A group's sub-queue goes once empty: there may be a great many groups over time.
        if (sq.group !== undefined) subs.delete(sq.key);
        continue;
      }
      if (sq.group !== undefined && this.limits!.groupFull(sq.group)) continue;
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

  /**
   * New limits: a group key that changed splits the queue's tasks into other sub-queues, so
   * they are queued again, each level in its old order (seq, which is queue order within a
   * sub-queue).
   */
  setLimits(limits: QueueLimits | undefined): void {
    const regroup = this.limits?.groupKey !== limits?.groupKey;
    this.limits = limits;
    if (!regroup) return;
    const tasks = [...this.queuedInOrder()].sort(
      (a, b) => a.priority - b.priority || a.seq - b.seq,
    );
    for (const level of this.levels) level.clear();
    for (let i = 0; i < LEVELS; i++) this.depth[i] = 0;
    this.queued = 0;
    for (const task of tasks) this.push(task);
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
    let key = task.options.requires ? task.options.requires.join('\u0000') : '';
    const group = this.limits?.groupOf(task.payload);
    if (group !== undefined) key += '\u0001' + group;
    const level = this.levels[task.priority]!;
    let sq = level.get(key);
    if (!sq) {
      sq = {
        key,
        requires: task.options.requires ?? [],
        tasks: new Deque(),
        gens: new Deque(),
        group,
      };
      level.set(key, sq);
    }
    return sq;
  }
}

function satisfies(caps: ReadonlySet<string>, requires: readonly string[]): boolean {
  for (let i = 0; i < requires.length; i++) if (!caps.has(requires[i]!)) return false;
  return true;
}
