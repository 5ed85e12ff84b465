import type { Redis } from 'ioredis';
import { plainRedisTarget } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import { LeaseSlot } from './redis-lease-slot.js';
import { renewInThread, type ThreadRenewal } from './redis-lease-thread.js';
import { ACQUIRE, RELEASE, RENEW, runScript } from './redis-scripts.js';

/** Why a lease ended without release(). */
export type LeaseLostReason =
  /** A renewal found the lease gone or another hub's: a successor may lead by now. */
  | 'refused'
  /** No renewal succeeded before the local deadline (Redis unreachable, or this hub paused). */
  | 'expired';

export interface LeaseOptions {
  /**
   * Renew in the renewal thread (default), so a busy main thread keeps the lease; false:
   * on the main thread only.
   */
  renewInThread?: boolean;
  /**
   * The renewal thread stops renewing once the main thread has not turned for this long
   * (default: the larger of 10 s and 3 leases), so a hung leader is still replaced.
   */
  stallMs?: number;
}

export type AcquireResult =
  { acquired: true; lease: RedisLease } | { acquired: false; holder: string; expiresInMs: number };

/**
 * Leadership of one cluster: the Redis key `lease` holds the leader's hub id with a TTL, and
 * every acquisition increments `epoch`, the fencing token. The lease renews itself every
 * ttl/3. Whether it is still held is judged locally, conservatively: the deadline is the
 * start of the last successful renewal plus the TTL, which is never later than Redis's own
 * expiry. The guarantee does not rest on that judgement, though: every write of the store
 * checks the epoch atomically in Redis, so a hub that was paused past its deadline cannot
 * write once a successor has acquired the lease, whatever its clock says.
 *
 * Renewals run on the main thread until the renewal thread (redis-lease-worker.ts) has
 * started, then there, so a main thread busy for longer than the TTL (recovering a large
 * state on a starved machine) keeps its lease; both write the deadline to a shared slot.
 */
export class RedisLease {
  private readonly slot = new LeaseSlot();
  private thread: ThreadRenewal | undefined;
  private threadActive = false;
  private renewTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private renewing = false;
  private lostReason: LeaseLostReason | undefined;
  private stopped = false;
  private readonly lostListeners: ((reason: LeaseLostReason) => void)[] = [];

  private constructor(
    private readonly redis: Redis,
    readonly keys: RedisKeys,
    readonly hubId: string,
    /** The fencing token: this acquisition's epoch. */
    readonly epoch: number,
    readonly ttlMs: number,
    startedAt: number,
    options: LeaseOptions,
  ) {
    this.slot.extend(startedAt + ttlMs);
    this.slot.stampMain();
    this.renewTimer = setInterval(() => this.tick(), Math.max(1, Math.floor(ttlMs / 3)));
    this.renewTimer.unref();
    this.armDeadline();
    if (options.renewInThread !== false) this.startThread(options);
  }

  private startThread(options: LeaseOptions): void {
    let target;
    try {
      target = plainRedisTarget(this.redis);
    } catch {
      return; // renewals stay on the main thread
    }
    const renewal = renewInThread(
      {
        target,
        keys: { lease: this.keys.lease, epoch: this.keys.epoch },
        hubId: this.hubId,
        epoch: this.epoch,
        ttlMs: this.ttlMs,
        stallMs: options.stallMs ?? Math.max(10_000, 3 * this.ttlMs),
        buffer: this.slot.buffer,
      },
      (reply) => {
        if (reply.type === 'refused') this.lose('refused');
      },
    );
    this.thread = renewal;
    renewal.active.then(
      () => {
        if (this.thread === renewal) this.threadActive = true;
      },
      () => {
        // The thread could not start or died: the main thread keeps renewing.
        if (this.thread === renewal) this.thread = undefined;
        this.threadActive = false;
      },
    );
  }

  private get deadline(): number {
    return this.slot.deadline;
  }

  /**
   * Take the lease if no hub holds it. `redis` should be a connection of the lease's own:
   * a renewal queued behind a large write (a snapshot) could miss its deadline.
   */
  static async tryAcquire(
    redis: Redis,
    keys: RedisKeys,
    hubId: string,
    ttlMs: number,
    options: LeaseOptions = {},
  ): Promise<AcquireResult> {
    if (!Number.isInteger(ttlMs) || ttlMs < 30)
      throw new RangeError(`lease TTL ${ttlMs} ms: use a whole number of at least 30 ms`);
    const startedAt = LeaseSlot.now();
    const reply = (await runScript(redis, ACQUIRE, [keys.lease, keys.epoch], [hubId, ttlMs])) as [
      number,
      string | number,
      number?,
    ];
    if (reply[0] === 1)
      return {
        acquired: true,
        lease: new RedisLease(redis, keys, hubId, Number(reply[1]), ttlMs, startedAt, options),
      };
    return { acquired: false, holder: String(reply[1]), expiresInMs: Number(reply[2] ?? -1) };
  }

  /** Held as far as this process can tell: not lost, not released, before the deadline. */
  get held(): boolean {
    return !this.stopped && this.lostReason === undefined && LeaseSlot.now() < this.deadline;
  }

  get lost(): LeaseLostReason | undefined {
    return this.lostReason;
  }

  /** Milliseconds until the local deadline (negative once past). */
  get remainingMs(): number {
    return this.deadline - LeaseSlot.now();
  }

  /** `cb` runs once, when the lease is lost (not when it is released or stopped). */
  onLost(cb: (reason: LeaseLostReason) => void): void {
    if (this.lostReason !== undefined) cb(this.lostReason);
    else this.lostListeners.push(cb);
  }

  /** Give the lease up: delete the key if it is still ours, so a successor need not wait. */
  async release(): Promise<boolean> {
    const wasHeld = this.lostReason === undefined && !this.stopped;
    this.stop();
    if (!wasHeld) return false;
    const reply = await runScript(
      this.redis,
      RELEASE,
      [this.keys.lease, this.keys.epoch],
      [this.hubId, this.epoch],
    );
    return reply === 1;
  }

  /**
   * Stop renewing, without releasing and without reporting a loss: what a process that dies
   * leaves behind (the key expires on its own), and what a paused one looks like to Redis.
   */
  stop(): void {
    this.stopped = true;
    this.endRenewals();
  }

  private endRenewals(): void {
    clearInterval(this.renewTimer);
    clearTimeout(this.deadlineTimer);
    this.thread?.drop();
    this.thread = undefined;
    this.threadActive = false;
  }

  private tick(): void {
    if (this.stopped || this.lostReason !== undefined) return;
    this.slot.stampMain();
    if (this.slot.lost) {
      this.lose('refused');
      return;
    }
    if (LeaseSlot.now() >= this.deadline) {
      this.lose('expired');
      return;
    }
    this.armDeadline();
    if (this.threadActive || this.renewing) return;
    this.renewing = true;
    const startedAt = LeaseSlot.now();
    runScript(
      this.redis,
      RENEW,
      [this.keys.lease, this.keys.epoch],
      [this.hubId, this.epoch, this.ttlMs],
    ).then(
      (reply) => {
        this.renewing = false;
        if (this.stopped || this.lostReason !== undefined) return;
        if (reply !== 1) {
          this.lose('refused');
          return;
        }
        // A renewal answered after the deadline proves nothing about the time between.
        if (LeaseSlot.now() >= this.deadline) {
          this.lose('expired');
          return;
        }
        this.slot.extend(startedAt + this.ttlMs);
        this.armDeadline();
      },
      () => {
        // Unreachable or an error reply: the deadline decides. The next tick tries again.
        this.renewing = false;
      },
    );
  }

  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(
      () => {
        if (!this.stopped && this.lostReason === undefined && LeaseSlot.now() >= this.deadline)
          this.lose('expired');
      },
      Math.max(0, this.deadline - LeaseSlot.now()) + 1,
    );
    this.deadlineTimer.unref();
  }

  private lose(reason: LeaseLostReason): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    this.endRenewals();
    const listeners = this.lostListeners.splice(0);
    for (const l of listeners) l(reason);
  }
}
