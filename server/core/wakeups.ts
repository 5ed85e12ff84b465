import { MinHeap } from './min-heap.js';
import type { WorkerRecord } from './records.js';

/**
 * Something the core must look at again at a given time. Entries are never cancelled: each
 * carries what it was scheduled for (a task's gen or attempt, a worker's epoch or record), and
 * `tick` ignores one whose subject has moved on since.
 */
export type Wakeup =
  /** A delayed task (delayMs, runAt, retry backoff) may run. */
  | { kind: 'delay'; taskId: string; gen: number }
  /** An unstarted task's TTL runs out. */
  | { kind: 'ttl'; taskId: string }
  /** An attempt has run for its timeoutMs. */
  | { kind: 'timeout'; taskId: string; attempt: number }
  /** Check a worker's heartbeat; one chain per worker record, re-armed until it is removed. */
  | { kind: 'heartbeat'; worker: WorkerRecord }
  /** A disconnected worker's grace period ends. */
  | { kind: 'grace'; workerId: string; epoch: number }
  /** A queue held by its rate limit may start its next task (`at`: when, to tell a
   * superseded wakeup from the current one). */
  | { kind: 'limit'; queue: string; at: number }
  /** A schedule's next occurrence (`id`, `at`: which schedule and occurrence it was armed for). */
  | { kind: 'schedule'; name: string; id: string; at: number }
  /** A stored message's TTL runs out. */
  | { kind: 'bus-ttl'; msgId: string }
  /** A delivered message was not acked within the ack wait: deliver it again. */
  | { kind: 'bus-ack'; consumer: string; msgId: string; attempt: number };

/** The min-heap of wakeups, by due time (Unix ms). */
export class Wakeups {
  private readonly heap = new MinHeap<Wakeup>();

  /** When the earliest one is due, for the caller's timer. */
  nextAt(): number | undefined {
    return this.heap.peekKey();
  }

  at(time: number, wakeup: Wakeup): void {
    this.heap.push(time, wakeup);
  }

  /** The earliest wakeup due by `now`, removed; undefined when none is. */
  popDue(now: number): Wakeup | undefined {
    const at = this.heap.peekKey();
    if (at === undefined || at > now) return undefined;
    return this.heap.pop();
  }
}
