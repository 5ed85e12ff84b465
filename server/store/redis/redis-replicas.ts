import type { Redis } from 'ioredis';
import { StoreError, StoreErrorCode } from '../errors.js';
import { TOUCH_SEQ, runScript } from './redis-scripts.js';
import type { RedisStoreContext } from './redis-store-context.js';
import { DEFAULT_REPLICA_GIVE_UP_MS } from './redis-store-options.js';

/**
 * waitReplicas: one WAIT at a time for what the master has. WAIT counts every write this
 * connection made before it, so its answer covers the batches answered before it was
 * sent. Too few replicas is not a failure of the write (the master has it): WAIT is asked
 * again until they catch up, a warning said once per outage, and only after giveUpMs is
 * the store failed (ENGINE_UNAVAILABLE: the leader steps down rather than hold
 * unacknowledged work forever).
 */
export class ReplicaWait {
  /** The last record the master has, a WAIT in flight, an outage under way. */
  private written = 0;
  private replicating = false;
  /**
   * The log connection dropped while writes waited for replicas: a WAIT on the new
   * connection does not cover them, and a Sentinel failover may have lost them.
   */
  private unverified = false;
  private replicaOutage: { since: number; acked: number } | undefined;

  /** `durable(upto)`: enough replicas have every record up to `upto`. */
  constructor(
    private readonly ctx: RedisStoreContext,
    private readonly durable: (upto: number) => void,
  ) {}

  /** The master has every record up to `upto`: wait for the replicas to have them. */
  logged(upto: number): void {
    this.written = upto;
    this.replicate();
  }

  /** The log's connection closed: what waited for replicas is checked after the reconnect. */
  connectionClosed(): void {
    if (this.written > this.ctx.waiters.durableSeq) this.unverified = true;
  }

  private replicate(): void {
    const ctx = this.ctx;
    const replicas = ctx.options.waitReplicas;
    const data = ctx.data;
    if (this.replicating || ctx.fatal || ctx.silent || !replicas || !data) return;
    if (this.written <= ctx.waiters.durableSeq) return;
    this.replicating = true;
    const upto = this.written;
    if (this.unverified) {
      this.verifyAfterReconnect(data, upto);
      return;
    }
    const logger = ctx.options.logger;
    const retry = (acked: number, why: string): void => {
      const now = performance.now();
      const outage = (this.replicaOutage ??= { since: now, acked });
      outage.acked = acked;
      const giveUpMs = replicas.giveUpMs ?? DEFAULT_REPLICA_GIVE_UP_MS;
      if (outage.since === now)
        logger?.warn(
          { keys: ctx.keys.tag, replicas: acked, wanted: replicas.count, why },
          `too few Redis replicas have the log's latest writes: acknowledgements wait until ${replicas.count} have them (for up to ${giveUpMs} ms)`,
        );
      if (now - outage.since >= giveUpMs) {
        ctx.die(
          new StoreError(
            StoreErrorCode.ENGINE_UNAVAILABLE,
            `only ${acked} of ${replicas.count} Redis replicas took the log's writes in ${Math.round(now - outage.since)} ms (${why}): ` +
              'the commands waiting were not acknowledged (they are on the master and may still count: retry with an idempotency key); this hub stops leading',
          ),
        );
        return;
      }
      // WAIT itself waits (timeoutMs) when replicas are short; an error reply does not.
      if (why.startsWith('WAIT failed')) setTimeout(() => this.replicate(), 100).unref();
      else this.replicate();
    };
    data.call('WAIT', replicas.count, replicas.timeoutMs).then(
      (reply) => {
        this.replicating = false;
        if (ctx.silent || ctx.fatal) return;
        const acked = Number(reply);
        if (acked < replicas.count) {
          retry(acked, `WAIT answered ${acked} within ${replicas.timeoutMs} ms`);
          return;
        }
        if (this.replicaOutage) {
          logger?.info(
            {
              keys: ctx.keys.tag,
              replicas: acked,
              ms: Math.round(performance.now() - this.replicaOutage.since),
            },
            'enough Redis replicas have the log again: acknowledgements resume',
          );
          this.replicaOutage = undefined;
        }
        this.durable(upto);
        this.replicate();
      },
      (err: unknown) => {
        this.replicating = false;
        if (ctx.silent || ctx.fatal) return;
        retry(this.replicaOutage?.acked ?? 0, `WAIT failed: ${(err as Error).message}`);
      },
    );
  }

  /**
   * After a reconnect, what waited for replicas is checked on the master this connection
   * reaches now (after a failover, another one): all there, and the WAIT that follows (after
   * a write on this connection) covers it; missing, the acknowledged-to-nobody commands are
   * gone while the core holds them, so this hub stops leading and the next leader reloads.
   */
  private verifyAfterReconnect(data: Redis, upto: number): void {
    const ctx = this.ctx;
    runScript(data, TOUCH_SEQ, [ctx.keys.seq], []).then(
      (v) => {
        this.replicating = false;
        if (ctx.silent || ctx.fatal) return;
        const logged = Number(v ?? 0);
        if (logged < ctx.base + upto) {
          ctx.die(
            new StoreError(
              StoreErrorCode.ENGINE_UNAVAILABLE,
              `the Redis master now serving ends its log at record ${logged - ctx.base} of this leader, but records up to ${upto} were written before a reconnect and never reached a replica (a failover lost them); none of them was acknowledged. This hub stops leading so the next leader reloads the state from the log`,
            ),
          );
          return;
        }
        this.unverified = false;
        this.replicate();
      },
      () => {
        this.replicating = false;
        if (ctx.silent || ctx.fatal) return;
        setTimeout(() => this.replicate(), 100).unref();
      },
    );
  }
}
