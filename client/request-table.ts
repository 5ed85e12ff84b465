import type { HubFrame } from '../protocol/index.js';
import { TimeoutError } from './errors.js';
import { unref } from './timers.js';

export type RequestFrame = { t: string; id: number } & Record<string, unknown>;

/** A request awaiting its reply; `deadline` (ms epoch) is checked by the one sweep timer. */
export interface Pending {
  resolve: (f: HubFrame) => void;
  reject: (e: Error) => void;
  deadline: number;
  t: string;
  ms: number;
}

/**
 * The requests of one connection awaiting their replies, by request id, and the one timer
 * that times them out: armed for the earliest deadline rather than one timer per request.
 */
export class RequestTable {
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private sweepTimer: ReturnType<typeof setTimeout> | undefined;
  private sweepAt = Infinity;

  get size(): number {
    return this.pending.size;
  }

  /** The next request id: 1 to 2^32-1, then 1 again (0 is the heartbeat's). */
  nextId(): number {
    const id = this.next++;
    if (this.next > 0xffffffff) this.next = 1;
    return id;
  }

  add(
    id: number,
    resolve: (f: HubFrame) => void,
    reject: (e: Error) => void,
    t: string,
    ms: number,
  ): void {
    const deadline = Date.now() + ms;
    this.pending.set(id, { resolve, reject, deadline, t, ms });
    if (deadline < this.sweepAt) this.armSweep(deadline);
  }

  /** The request with this id, removed from the table; undefined when none waits for it. */
  take(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p) this.pending.delete(id);
    return p;
  }

  /** Rejects every request waiting (the socket is gone) and disarms the timer. */
  failAll(err: Error): void {
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(err);
    }
  }

  private armSweep(deadline: number): void {
    clearTimeout(this.sweepTimer);
    this.sweepAt = deadline;
    this.sweepTimer = setTimeout(this.sweep, Math.max(0, deadline - Date.now()));
    // It stays armed after its requests were answered (cheaper than re-arming per reply), so
    // it must not hold the process: a request is pending only on an open socket, which does.
    unref(this.sweepTimer);
  }

  /** Times out the requests past their deadline, then waits for the earliest one left. */
  private readonly sweep = (): void => {
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [id, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(id);
        p.reject(new TimeoutError(`no reply to ${p.t} within ${p.ms} ms`));
      } else if (p.deadline < next) next = p.deadline;
    }
    if (next < this.sweepAt) this.armSweep(next);
  };
}
