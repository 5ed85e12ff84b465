import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DurabilityWaiters } from '../durability-waiters.js';
import { StoreError, StoreErrorCode } from '../errors.js';
import type { Recovered, Store, StoreStats } from '../store.js';
import { RedisAppender } from './redis-append.js';
import { CompactionSchedule } from './redis-compaction-schedule.js';
import { checkRedisConfig, type RedisDurability } from './redis-config-check.js';
import { connectRedis, describeRedis } from './redis-connection.js';
import { DEFAULT_PREFIX, redisKeys, type RedisKeys } from './redis-keys.js';
import type { RedisLease } from './redis-lease.js';
import {
  asStoreError,
  connectOrUnavailable,
  quitConnections,
  watchReachability,
} from './redis-reachability.js';
import { loadRedisLog } from './redis-recovery.js';
import { ReplicaWait } from './redis-replicas.js';
import type { RedisStoreContext } from './redis-store-context.js';
import { leaseLostError, releaseLeaseQuietly, takeLease } from './redis-store-lease.js';
import { DEFAULT_LEASE_MS, type RedisStoreOptions } from './redis-store-options.js';

export {
  DEFAULT_LEASE_MS,
  DEFAULT_REPLICA_GIVE_UP_MS,
  type RedisStoreOptions,
} from './redis-store-options.js';

/**
 * The Redis engine's persistence: the leader's journal goes to a Redis stream, one entry per
 * batch (group commit), and its state to a chunked snapshot that trims the stream. Exactly
 * one store per cluster is open at a time: open() takes the lease (redis-lease.ts), and
 * every write is fenced by the lease's epoch in the same Lua script that makes it, so a
 * leader that was paused or cut off cannot write once a successor holds the lease.
 *
 * Sequence numbers: append() numbers records 1, 2, 3... after each open, as every store
 * does; in Redis a record's number is `baseSeq` (the log's last number when this store
 * opened) plus that, so numbers keep rising across leaders and a re-sent batch is recognised.
 *
 * A record is durable when Redis has answered the script that appended it: in Redis's
 * memory, and on its disk only with `appendonly yes` (and `appendfsync always` to survive a
 * power cut of the Redis host); open() warns otherwise.
 *
 * Its parts: loading (redis-recovery.ts), appends (redis-append.ts), waiting for replicas
 * (redis-replicas.ts), compaction (redis-compaction-schedule.ts), the lease
 * (redis-store-lease.ts) and connections (redis-reachability.ts), sharing one
 * RedisStoreContext (redis-store-context.ts).
 */
export class RedisStore implements Store {
  readonly mode = 'redis' as const;
  readonly keys: RedisKeys;
  readonly hubId: string;
  private readonly leaseMs: number;
  private readonly ctx: RedisStoreContext;
  private readonly appender: RedisAppender;
  private readonly replicas: ReplicaWait;
  private readonly compaction: CompactionSchedule;
  private leaseConnection: Redis | undefined;
  private opened = false;
  private durability: RedisDurability = {};
  private readonly fsyncListeners: ((ms: number) => void)[] = [];
  private readonly fatalListeners: ((err: Error) => void)[] = [];

  constructor(private readonly options: RedisStoreOptions) {
    this.keys = options.lease?.keys ?? redisKeys(options.prefix ?? DEFAULT_PREFIX);
    this.hubId =
      options.lease?.hubId ??
      options.hubId ??
      `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.leaseMs = options.lease?.ttlMs ?? options.leaseMs ?? DEFAULT_LEASE_MS;
    this.ctx = {
      options,
      keys: this.keys,
      hubId: this.hubId,
      waiters: new DurabilityWaiters(),
      counters: { batches: 0, lastMs: 0, bytesWritten: 0, entries: 0, snapshots: 0, resent: 0 },
      data: undefined,
      lease: undefined,
      base: 0,
      seq: 0,
      fatal: undefined,
      closed: false,
      silent: false,
      die: (err) => this.die(err),
    };
    this.appender = new RedisAppender(this.ctx, {
      appended: (bytes) => this.compaction.appended(bytes),
      logged: (upto, ms) => this.logged(upto, ms),
    });
    this.replicas = new ReplicaWait(this.ctx, (upto) => this.durable(upto));
    this.compaction = new CompactionSchedule(this.ctx, () => this.appender.flush());
  }

  get durableSeq(): number {
    return this.ctx.waiters.durableSeq;
  }

  /** The log's last sequence number when this store opened; record n is `baseSeq + n` in Redis. */
  get baseSeq(): number {
    return this.ctx.base;
  }

  /** The fencing epoch this store writes under (0 before open). */
  get epoch(): number {
    return this.ctx.lease?.epoch ?? 0;
  }

  /**
   * The store's data connection, once open. Commands sent on it run in order with the
   * store's own writes (tests use that to fence the store between two of its batches).
   */
  get connection(): Redis | undefined {
    return this.ctx.data;
  }

  /**
   * Batches Redis already had when they arrived: re-sent by ioredis after a reconnect that
   * lost the reply, and appended once (the append script's sequence check).
   */
  get resentBatches(): number {
    return this.ctx.counters.resent;
  }

  /** What open() read of Redis's persistence settings (empty when CONFIG is not allowed). */
  get redisDurability(): RedisDurability {
    return this.durability;
  }

  async open(): Promise<Recovered> {
    const ctx = this.ctx;
    if (this.opened || ctx.closed) throw new Error('a RedisStore is opened once');
    this.opened = true;
    const t0 = performance.now();
    const data = connectRedis(this.options.redis, `switchboard:${this.hubId}`);
    ctx.data = data;
    this.watch(data, 'log');
    data.on('close', () => this.replicas.connectionClosed());
    try {
      await connectOrUnavailable(data);
      this.durability = await checkRedisConfig(data, this.options.logger);
      const lease = this.options.lease ?? (await this.acquire());
      ctx.lease = lease;
      lease.onLost((reason) =>
        this.die(leaseLostError(this.keys, this.epoch, this.leaseMs, reason)),
      );
      const connectMs = performance.now() - t0;
      const loaded = await loadRedisLog(data, this.keys, this.options.standby, () => ctx.fatal);
      ctx.base = loaded.base;
      ctx.counters.entries = loaded.entries;
      this.compaction.start(loaded);
      this.options.logger?.info(
        {
          redis: describeRedis(data),
          keys: this.keys.tag,
          epoch: lease.epoch,
          baseSeq: ctx.base,
          snapshot: loaded.snapshot !== undefined,
          warm: loaded.core !== undefined,
          snapshotBytes: loaded.snapshotBytes,
          records: loaded.records.length,
          // Where a takeover's time goes: connecting (and the config check), reading and
          // decoding the snapshot (of which reading it), reading the log after it.
          ms: {
            connect: Math.round(connectMs),
            snapshot: Math.round(loaded.ms.snapshot),
            snapshotRead: Math.round(loaded.ms.snapshotRead),
            log: Math.round(loaded.ms.log),
          },
        },
        'leading the cluster: the Redis engine log is open',
      );
      return {
        snapshot: loaded.snapshot,
        records: loaded.records,
        ...(loaded.core ? { core: loaded.core } : {}),
        stats: {
          snapshot: loaded.snapshot !== undefined,
          walRecords: loaded.records.length,
          segments: loaded.entries,
          droppedTailBytes: 0,
          droppedTailRecords: 0,
          ms: Math.round(performance.now() - t0),
        },
      };
    } catch (err) {
      await releaseLeaseQuietly(ctx.lease, this.keys, this.options.logger);
      this.disconnectAll();
      ctx.closed = true;
      ctx.silent = true;
      throw asStoreError(err, 'open the Redis engine log');
    }
  }

  private watch(conn: Redis, role: 'log' | 'lease'): void {
    watchReachability(conn, role, this.options.logger, () => this.ctx.silent);
  }

  private async acquire(): Promise<RedisLease> {
    const conn = connectRedis(this.options.redis, `switchboard:${this.hubId}:lease`);
    this.leaseConnection = conn;
    this.watch(conn, 'lease');
    await connectOrUnavailable(conn);
    return takeLease(conn, this.keys, this.hubId, this.leaseMs);
  }

  /** False while Redis is out of reach or the lease is in doubt: new durable work is refused. */
  get available(): boolean {
    const ctx = this.ctx;
    return !ctx.fatal && !ctx.closed && ctx.data?.status === 'ready' && (ctx.lease?.held ?? false);
  }

  prepare(record: object): void {
    this.appender.prepare(record);
  }

  append(record: object): number {
    return this.appender.append(record);
  }

  /** Redis took a batch: said to the latency listeners, then durable (or after replicas). */
  private logged(upto: number, ms: number): void {
    for (const l of this.fsyncListeners) l(ms);
    const replicas = this.options.waitReplicas;
    if (!replicas || replicas.count === 0) {
      this.durable(upto);
      return;
    }
    this.replicas.logged(upto);
  }

  private durable(upto: number): void {
    this.ctx.waiters.resolve(upto);
    this.compaction.maybeCompact(false);
  }

  onDurable(seq: number, cb: (err?: Error) => void): void {
    if (this.ctx.fatal && seq > this.durableSeq) cb(this.ctx.fatal);
    else this.ctx.waiters.add(seq, cb);
  }

  onFsyncLatency(cb: (ms: number) => void): void {
    this.fsyncListeners.push(cb);
  }

  onFatal(cb: (err: Error) => void): void {
    this.fatalListeners.push(cb);
    // Failed between open() and this call (a lease lost while the hub was being built):
    // said now, or the hub would start on a store that takes nothing.
    const fatal = this.ctx.fatal;
    if (fatal && !this.ctx.silent && !this.ctx.closed) queueMicrotask(() => cb(fatal));
  }

  stats(): StoreStats {
    const s = this.ctx.counters;
    return {
      mode: this.mode,
      appended: this.ctx.seq,
      durableSeq: this.durableSeq,
      // One append script answered = one batch made durable (Redis's own fsync, if any, is in it).
      fsyncs: s.batches,
      lastFsyncMs: s.lastMs,
      bytesWritten: s.bytesWritten,
      segments: s.entries,
      compactions: s.snapshots,
    };
  }

  /**
   * Fold the log into a new snapshot now, covering every record appended so far (once they
   * are durable), and trim the log it covers (redis-compaction-schedule.ts). Resolves when
   * written or given up (logged; the previous snapshot and the log stay).
   */
  compactNow(): Promise<void> {
    return this.compaction.compactNow();
  }

  /**
   * Close: what is buffered is sent and awaited (at most closeTimeoutMs), and a compaction
   * under way is stopped, none started. The log is the truth: the next leader replays the
   * tail since the last snapshot (at most about snapshotAfterRecords records), which costs
   * it less than a compaction here would (that replays the same records, then encodes and
   * writes the whole state: seconds for 100,000 tasks on a busy machine), and the lease is
   * let go at once, so a successor can lead sooner. A stopped compaction leaves at most a
   * partial slot, which is never current.
   */
  async close(): Promise<void> {
    const ctx = this.ctx;
    if (ctx.closed) return;
    ctx.closed = true;
    this.compaction.stopTimer();
    if (!ctx.fatal && ctx.data) {
      this.appender.flush();
      await this.settleWithin(this.options.closeTimeoutMs ?? 10_000);
    }
    await this.compaction.stop();
    await releaseLeaseQuietly(ctx.lease, this.keys, this.options.logger);
    await quitConnections([ctx.data, this.leaseConnection]);
    ctx.silent = true;
  }

  /**
   * The process holding this store dies now: timers stop and the connections drop, with
   * nothing flushed and the lease not released (it expires by itself). For crash tests,
   * and for a hub that must stop writing at once. The store is not usable afterwards.
   */
  abandon(): void {
    this.ctx.closed = true;
    this.ctx.silent = true;
    this.compaction.stopTimer();
    this.compaction.abandon();
    // A compaction under way is left to finish: what it writes is derived from the log
    // (and refused by its epoch once a successor leads).
    this.ctx.lease?.stop();
    this.disconnectAll();
  }

  /** Wait until every record appended is durable (or failed), at most `ms`. */
  private settleWithin(ms: number): Promise<void> {
    const ctx = this.ctx;
    if (ctx.seq <= this.durableSeq || ctx.fatal) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        const err = new StoreError(
          StoreErrorCode.ENGINE_UNAVAILABLE,
          `Redis did not take the last ${ctx.seq - this.durableSeq} records within ${ms} ms of close(); they were not acknowledged`,
        );
        this.options.logger?.error({ keys: this.keys.tag }, err.message);
        ctx.waiters.fail(ctx.seq, err);
        resolve();
      }, ms);
      ctx.waiters.add(ctx.seq, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private disconnectAll(): void {
    this.ctx.data?.disconnect();
    this.leaseConnection?.disconnect();
  }

  private die(err: Error): void {
    const ctx = this.ctx;
    if (ctx.fatal) return;
    ctx.fatal = err;
    this.compaction.stopTimer();
    ctx.lease?.stop();
    ctx.waiters.failAll(err);
    if (ctx.silent || ctx.closed) return;
    this.options.logger?.error(
      { keys: this.keys.tag, code: (err as StoreError).code },
      err.message,
    );
    for (const l of this.fatalListeners) l(err);
  }
}
