import type { TaskRecord } from './records.js';

/**
 * Limits on how a queue's tasks start (docs/rate-limits.md): a rate (at most `count` attempts
 * started in any window of `perMs`), a concurrency cap (at most N leased at once) and a
 * group cap (at most K leased at once per value of a payload field). Plain data in, decided
 * in dispatch.ts; this file holds the settings and the counts they are checked against.
 */
export interface QueueLimitSpec {
  /** `burst`: how many may start back to back (default 1: evenly spread; `count`: no spreading). */
  rate?: { count: number; perMs: number; burst?: number };
  concurrency?: number;
  /** `key`: a payload field name, dots for nested fields ("customer.id"). */
  group?: { key: string; concurrency: number };
}

/** The most starts a rate may allow per window: the sliding log holds one number for each. */
export const MAX_RATE_COUNT = 100_000;
/** Longest rate window, and deepest group key path. */
export const MAX_RATE_WINDOW_MS = 24 * 60 * 60 * 1000;
export const MAX_GROUP_KEY_DEPTH = 8;

/** Whether a spec sets nothing (the queue is unlimited). */
export function isUnlimited(spec: QueueLimitSpec): boolean {
  return spec.rate === undefined && spec.concurrency === undefined && spec.group === undefined;
}

export class QueueLimits {
  readonly spec: QueueLimitSpec;
  /**
   * The sliding log: the start times of the last `rate.count` attempts, a ring whose oldest
   * entry is at `head`. A start is allowed once the oldest of the last `count` starts is a
   * full window old, so no window of `perMs` ever holds more than `count` starts (a fixed
   * window or a token bucket would allow up to twice that across a boundary).
   */
  private readonly starts: Float64Array | undefined;
  private head = 0;
  private size = 0;
  /**
   * The spreading rule (GCRA, a leaky bucket): starts are spaced `perMs / count` apart, up
   * to `burst` back to back. `tat` is when the next start would be due if they were evenly
   * spaced; a start may go up to `tolerance` earlier. At least 1 ms of tolerance, since the
   * clock counts whole ms: a rate of 10,000/s starts ten per ms, not one.
   */
  private tat = -Infinity;
  private readonly interval: number = 0;
  private readonly tolerance: number = 0;
  /** Leased tasks per group value (only groups with one or more). */
  readonly groupRunning = new Map<string, number>();
  private readonly path: readonly string[] | undefined;
  /** A `limit` wakeup is pending for this time (0: none). */
  wakeAt = 0;

  constructor(spec: QueueLimitSpec) {
    this.spec = spec;
    if (spec.rate) {
      this.starts = new Float64Array(spec.rate.count);
      this.interval = spec.rate.perMs / spec.rate.count;
      const burst = Math.min(spec.rate.burst ?? 1, spec.rate.count);
      this.tolerance = Math.max((burst - 1) * this.interval, 1);
    }
    if (spec.group) this.path = spec.group.key.split('.');
  }

  /** A concurrency or group cap: a lease that ends may let another task of the queue start. */
  get caps(): boolean {
    return this.spec.concurrency !== undefined || this.spec.group !== undefined;
  }

  get groupKey(): string | undefined {
    return this.spec.group?.key;
  }

  /**
   * The earliest time the rate lets the next attempt start (<= now: now): the later of what
   * the spreading rule and the window allow. A clock that went
   * back (the hub's wall clock was set back) would leave starts "in the future" and hold the
   * queue for as long as the jump: they are moved back to `now`, so a jump holds it at most
   * one window.
   */
  rateOpensAt(now: number): number {
    const rate = this.spec.rate;
    if (!rate) return -Infinity;
    if (this.tat > now + this.tolerance + this.interval) this.tat = now + this.interval;
    const spread = this.tat - this.tolerance;
    if (this.size < rate.count) return spread;
    const starts = this.starts!;
    const newest = starts[(this.head + this.size - 1) % rate.count]!;
    if (newest > now) for (let i = 0; i < starts.length; i++) starts[i] = Math.min(starts[i]!, now);
    return Math.max(spread, starts[this.head]! + rate.perMs);
  }

  /** Attempts started in the window ending at `now` (for metrics and the REST view). */
  startsInWindow(now: number): number {
    const rate = this.spec.rate;
    if (!rate) return 0;
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.starts![(this.head + i) % rate.count]! > now - rate.perMs) n++;
    }
    return n;
  }

  /** The logged start times, oldest first (snapshot). */
  startTimes(): number[] {
    const out: number[] = [];
    const count = this.spec.rate?.count ?? 0;
    for (let i = 0; i < this.size; i++) out.push(this.starts![(this.head + i) % count]!);
    return out;
  }

  /** Log a start: the ring keeps the last `count`. */
  logStart(now: number): void {
    const rate = this.spec.rate;
    if (!rate) return;
    this.tat = Math.max(this.tat, now) + this.interval;
    if (this.size < rate.count) {
      this.starts![(this.head + this.size) % rate.count] = now;
      this.size++;
    } else {
      this.starts![this.head] = now;
      this.head = (this.head + 1) % rate.count;
    }
  }

  /**
   * The group a task belongs to: the payload field's value, when it is a string, a finite
   * number or a boolean (as a string: 42 and "42" are one group). A task without it (no
   * such field, a payload that is not an object, an object or array value) is in no group
   * and only the queue's own limits apply to it.
   */
  groupOf(payload: unknown): string | undefined {
    const path = this.path;
    if (!path) return undefined;
    let v = payload;
    for (let i = 0; i < path.length; i++) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
      if (!Object.prototype.hasOwnProperty.call(v, path[i]!)) return undefined;
      v = (v as Record<string, unknown>)[path[i]!];
    }
    if (typeof v === 'string') return v;
    if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return String(v);
    return undefined;
  }

  groupFull(group: string): boolean {
    return (this.groupRunning.get(group) ?? 0) >= this.spec.group!.concurrency;
  }

  /** Groups running as many tasks as they may. */
  groupsAtLimit(): number {
    const cap = this.spec.group?.concurrency;
    if (cap === undefined) return 0;
    let n = 0;
    for (const running of this.groupRunning.values()) if (running >= cap) n++;
    return n;
  }

  /** A task of this queue was leased (live or in replay): count it. */
  started(task: TaskRecord, now: number): void {
    this.logStart(now);
    if (this.path) this.countGroup(task, 1);
  }

  /** A lease of this queue ended. */
  ended(task: TaskRecord): void {
    if (this.path) this.countGroup(task, -1);
  }

  /** A leased task restored from a snapshot, or counted again after the group key changed. */
  adoptLeased(task: TaskRecord): void {
    if (this.path) this.countGroup(task, 1);
  }

  private countGroup(task: TaskRecord, delta: number): void {
    const group = this.groupOf(task.payload);
    if (group === undefined) return;
    const n = (this.groupRunning.get(group) ?? 0) + delta;
    if (n > 0) this.groupRunning.set(group, n);
    else this.groupRunning.delete(group);
  }
}
