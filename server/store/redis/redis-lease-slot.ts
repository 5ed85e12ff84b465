import type { RedisOptions } from 'ioredis';

/** Messages to the lease renewal thread (redis-lease-worker.ts). */
export type LeaseThreadRequest =
  | {
      type: 'hold';
      id: number;
      target: string | RedisOptions;
      keys: { lease: string; epoch: string };
      hubId: string;
      epoch: number;
      ttlMs: number;
      /** Stop renewing once the main thread has not stamped the slot for this long. */
      stallMs: number;
      buffer: SharedArrayBuffer;
    }
  /** Open the connection to `target` ahead of the first hold (warmLeaseThread). */
  | { type: 'connect'; target: string | RedisOptions }
  | { type: 'drop'; id: number }
  | { type: 'stop' };

/** Messages from it. */
export type LeaseThreadReply =
  { type: 'ready' } | { type: 'refused'; id: number } | { type: 'stalled'; id: number; ms: number };

const DEADLINE = 0;
const STAMP = 1;
const STATE = 2;
const REFUSED = 1n;

/**
 * One lease's state shared between the main thread and the renewal thread: the local
 * deadline (start of the last successful renewal plus the TTL, from either thread), the
 * main thread's last sign of life, and whether Redis refused a renewal. Times are
 * process.hrtime (monotonic, the same clock in every thread; performance.now() is not,
 * each thread has its own origin), stored as nanoseconds so Atomics apply.
 */
export class LeaseSlot {
  readonly buffer: SharedArrayBuffer;
  private readonly cells: BigInt64Array;

  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(3 * 8);
    this.cells = new BigInt64Array(this.buffer);
  }

  /** Milliseconds on the clock every thread shares. */
  static now(): number {
    return Number(process.hrtime.bigint()) / 1e6;
  }

  get deadline(): number {
    return Number(Atomics.load(this.cells, DEADLINE)) / 1e6;
  }

  /** Move the deadline to `at` unless it is already later (renewals may answer out of order). */
  extend(at: number): void {
    const next = BigInt(Math.floor(at * 1e6));
    for (;;) {
      const cur = Atomics.load(this.cells, DEADLINE);
      if (cur >= next) return;
      if (Atomics.compareExchange(this.cells, DEADLINE, cur, next) === cur) return;
    }
  }

  get mainStamp(): number {
    return Number(Atomics.load(this.cells, STAMP)) / 1e6;
  }

  stampMain(): void {
    Atomics.store(this.cells, STAMP, process.hrtime.bigint());
  }

  get lost(): boolean {
    return Atomics.load(this.cells, STATE) === REFUSED;
  }

  markRefused(): void {
    Atomics.store(this.cells, STATE, REFUSED);
  }
}
