import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Packr } from 'msgpackr';
import { DurabilityWaiters } from '../durability-waiters.js';
import { StoreError, StoreErrorCode, storeClosedError } from '../errors.js';
import type { Recovered, Store, StoreLogger, StoreStats } from '../store.js';
import { checkRedisConfig, type RedisDurability } from './redis-config-check.js';
import {
  connectRedis,
  describeRedis,
  plainRedisTarget,
  type RedisTarget,
} from './redis-connection.js';
import { startRedisCompaction, type RunningCompaction } from './redis-compactor.js';
import { DEFAULT_PREFIX, redisKeys, type RedisKeys } from './redis-keys.js';
import { readLogEntries } from './redis-log.js';
import { RedisLease, type LeaseLostReason } from './redis-lease.js';
import { APPEND, TOUCH_SEQ, isFencedReply, runScript } from './redis-scripts.js';
import { DEFAULT_CHUNK_BYTES, readSnapshotBytes, readSnapshotMeta } from './redis-snapshot.js';
import { decodeSnapshot } from './redis-snapshot-codec.js';
import type { RedisStandby, WarmState } from './redis-standby.js';
import type { Core } from '../../core/index.js';

const packr = new Packr({ useRecords: false, moreTypes: false });

export interface RedisStoreOptions {
  /** Where Redis is. The store opens connections of its own (an instance given is copied). */
  redis: RedisTarget;
  /** Hubs with the same Redis and prefix are one cluster (default "switchboard"). */
  prefix?: string;
  /** This hub's name in the lease (default host:pid:random). */
  hubId?: string;
  /** The lease TTL: how long a dead leader blocks a successor (default 3000 ms). */
  leaseMs?: number;
  /**
   * A lease already acquired (by the hub's role logic) for these keys; open() then skips
   * acquiring one. The store owns it from then on: it releases it at close().
   */
  lease?: RedisLease;
  /**
   * Compact this often when the log has grown since the last snapshot (default 60 s): a
   * worker thread replays the log onto the snapshot and writes the new one (see compactNow).
   */
  snapshotIntervalMs?: number;
  /** ...or as soon as this many records were appended since it (default 200,000). */
  snapshotAfterRecords?: number;
  /** ...or this many bytes of log (default 64 MiB). */
  snapshotAfterBytes?: number;
  /**
   * ...or once the log since the snapshot is this fraction of the snapshot's own size
   * (default 0.5), counted from `snapshotMinLogBytes` of log (default 1 MiB). A takeover
   * reads the snapshot and replays the log after it, and a record costs more to replay than
   * its bytes cost to decode: a log kept short against the state keeps a takeover within a
   * small multiple of loading the state, whatever the rate of work. Each compaction writes
   * the state once per this fraction of it in log.
   */
  snapshotAfterLogRatio?: number;
  snapshotMinLogBytes?: number;
  /** Snapshots are stored in chunks of at most this many bytes (default 4 MiB). */
  snapshotChunkBytes?: number;
  /**
   * The live core's options, for the compaction thread's replay: a replay with other
   * defaults (result TTL, maxFinished) would evict other tasks than the hub did.
   */
  replayOptions?: object;
  /**
   * Report a batch durable only once this many replicas have it (Redis `WAIT`, each call
   * waiting at most `timeoutMs`). Redis replicates asynchronously: without it, a Sentinel
   * failover to a replica that had not caught up loses what the old master acknowledged.
   * Too few replicas is waited out (the write is on the master; WAIT is asked again, with a
   * warning once per outage) and is fatal only after `giveUpMs` (default 30 s). Default 0.
   */
  waitReplicas?: { count: number; timeoutMs: number; giveUpMs?: number };
  /**
   * An edge's warm standby (redis-standby.ts): open() takes its core and replays only the
   * log after what it applied, instead of loading the snapshot. Checked against the log;
   * when it does not fit (behind a trim, ahead of a log Redis lost) the load is cold.
   */
  standby?: RedisStandby;
  /** close() waits at most this long for Redis to take what is still in flight (default 10 s). */
  closeTimeoutMs?: number;
  logger?: StoreLogger;
}

export const DEFAULT_LEASE_MS = 3000;

/** What open() loaded: a snapshot to restore (or a warm core) and the records after it. */
interface Loaded {
  snapshot: unknown;
  core?: Core;
  snapshotAt: number | undefined;
  snapshotBytes: number;
  records: object[];
  /** Records in the log since the snapshot (what a cold load replays). */
  sinceSnapshot: number;
  entries: number;
  bytes: number;
  ms: { snapshotRead: number; snapshot: number; log: number };
}
/** How long too few replicas is waited out before the store gives up (waitReplicas). */
export const DEFAULT_REPLICA_GIVE_UP_MS = 30_000;

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
 */
export class RedisStore implements Store {
  readonly mode = 'redis' as const;
  readonly keys: RedisKeys;
  readonly hubId: string;
  private readonly leaseMs: number;
  private data: Redis | undefined;
  private leaseConnection: Redis | undefined;
  private lease: RedisLease | undefined;
  private base = 0;
  private seq = 0;
  private readonly waiters = new DurabilityWaiters();
  private batch = Buffer.allocUnsafe(64 * 1024);
  private batchLen = 0;
  private batchFirst = 1;
  private scheduled = false;
  private preparedRecord: object | undefined;
  private preparedPayload: Uint8Array | undefined;
  private fatal: Error | undefined;
  private opened = false;
  private closed = false;
  /** Set once close() resolved or the process "died" (abandon): no callback runs after. */
  private silent = false;
  private snapshotTimer: NodeJS.Timeout | undefined;
  /** The compaction under way: waiting for its records to be durable, then in its thread. */
  private compacting: Promise<void> | undefined;
  private compactor: RunningCompaction | undefined;
  private endWait: (() => void) | undefined;
  private recordsSinceSnapshot = 0;
  /** waitReplicas: the last record the master has, a WAIT in flight, an outage under way. */
  private written = 0;
  private replicating = false;
  /**
   * The log connection dropped while writes waited for replicas: a WAIT on the new
   * connection does not cover them, and a Sentinel failover may have lost them.
   */
  private unverified = false;
  private replicaOutage: { since: number; acked: number } | undefined;
  private bytesSinceSnapshot = 0;
  /** The current snapshot's size (0: none yet), against which the log's length is judged. */
  private snapshotBytes = 0;
  /** When the current snapshot was written, by whichever hub (0: overdue). */
  private lastSnapshotAt = 0;
  private durability: RedisDurability = {};
  private readonly fsyncListeners: ((ms: number) => void)[] = [];
  private readonly fatalListeners: ((err: Error) => void)[] = [];
  private readonly s = {
    batches: 0,
    lastMs: 0,
    bytesWritten: 0,
    entries: 0,
    snapshots: 0,
    resent: 0,
  };
  private readonly flushNow = (): void => this.flush();

  constructor(private readonly options: RedisStoreOptions) {
    this.keys = options.lease?.keys ?? redisKeys(options.prefix ?? DEFAULT_PREFIX);
    this.hubId =
      options.lease?.hubId ??
      options.hubId ??
      `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.leaseMs = options.lease?.ttlMs ?? options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  get durableSeq(): number {
    return this.waiters.durableSeq;
  }

  /** The log's last sequence number when this store opened; record n is `baseSeq + n` in Redis. */
  get baseSeq(): number {
    return this.base;
  }

  /** The fencing epoch this store writes under (0 before open). */
  get epoch(): number {
    return this.lease?.epoch ?? 0;
  }

  /**
   * The store's data connection, once open. Commands sent on it run in order with the
   * store's own writes (tests use that to fence the store between two of its batches).
   */
  get connection(): Redis | undefined {
    return this.data;
  }

  /**
   * Batches Redis already had when they arrived: re-sent by ioredis after a reconnect that
   * lost the reply, and appended once (the append script's sequence check).
   */
  get resentBatches(): number {
    return this.s.resent;
  }

  /** What open() read of Redis's persistence settings (empty when CONFIG is not allowed). */
  get redisDurability(): RedisDurability {
    return this.durability;
  }

  async open(): Promise<Recovered> {
    if (this.opened || this.closed) throw new Error('a RedisStore is opened once');
    this.opened = true;
    const t0 = performance.now();
    const data = connectRedis(this.options.redis, `switchboard:${this.hubId}`);
    this.data = data;
    this.watch(data, 'log');
    data.on('close', () => {
      if (this.written > this.durableSeq) this.unverified = true;
    });
    try {
      await this.connect(data);
      this.durability = await checkRedisConfig(data, this.options.logger);
      this.lease = this.options.lease ?? (await this.acquire());
      this.lease.onLost((reason) => this.die(this.leaseLostError(reason)));
      const connectMs = performance.now() - t0;
      const loaded = await this.load(data);
      // The log this store recovered is what a successor would replay too: it counts toward
      // the next snapshot, or leaders that change faster than the thresholds would let the
      // log grow until recovering it takes longer than the lease.
      this.recordsSinceSnapshot = loaded.sinceSnapshot;
      this.bytesSinceSnapshot = loaded.bytes;
      this.snapshotBytes = loaded.snapshotBytes;
      // No snapshot: a fresh cluster counts its interval from now; a log left by leaders
      // that never wrote one is overdue at once.
      this.lastSnapshotAt = loaded.snapshotAt ?? (loaded.records.length > 0 ? 0 : Date.now());
      this.snapshotTimer = setInterval(
        () => this.maybeCompact(true),
        this.options.snapshotIntervalMs ?? 60_000,
      );
      this.snapshotTimer.unref();
      this.options.logger?.info(
        {
          redis: describeRedis(data),
          keys: this.keys.tag,
          epoch: this.lease.epoch,
          baseSeq: this.base,
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
      await this.releaseQuietly();
      this.disconnectAll();
      this.closed = true;
      this.silent = true;
      throw this.asStoreError(err, 'open the Redis engine log');
    }
  }

  /**
   * Say once when a connection is lost and once when it is back (ioredis emits an error on
   * every failed reconnect; without a listener it prints each one). While the log's
   * connection is down, prepare() refuses durable commands with ENGINE_UNAVAILABLE.
   */
  private watch(conn: Redis, role: 'log' | 'lease'): void {
    let down = false;
    conn.on('error', (err: Error) => {
      if (down || this.silent) return;
      down = true;
      this.options.logger?.warn(
        { redis: describeRedis(conn), connection: role, err: err.message },
        role === 'log'
          ? 'Redis unreachable: durable commands are refused with ENGINE_UNAVAILABLE until it answers; writes in flight wait and are re-sent'
          : 'Redis unreachable: the lease cannot be renewed; it is lost if Redis stays away past its TTL',
      );
    });
    conn.on('ready', () => {
      if (!down || this.silent) return;
      down = false;
      this.options.logger?.info(
        { redis: describeRedis(conn), connection: role },
        'Redis answers again',
      );
    });
  }

  private async connect(redis: Redis): Promise<void> {
    try {
      await redis.connect();
    } catch (err) {
      throw new StoreError(
        StoreErrorCode.ENGINE_UNAVAILABLE,
        `cannot reach Redis at ${describeRedis(redis)} (${(err as Error).message}); start Redis or fix the Redis URL`,
        { cause: err },
      );
    }
  }

  private async acquire(): Promise<RedisLease> {
    const conn = connectRedis(this.options.redis, `switchboard:${this.hubId}:lease`);
    this.leaseConnection = conn;
    this.watch(conn, 'lease');
    await this.connect(conn);
    const got = await RedisLease.tryAcquire(conn, this.keys, this.hubId, this.leaseMs);
    if (got.acquired) return got.lease;
    throw new StoreError(
      StoreErrorCode.ENGINE_LEASE_HELD,
      `the Redis engine log ${this.keys.tag} is in use: hub ${got.holder} holds its lease` +
        (got.expiresInMs >= 0 ? ` (it expires in ${got.expiresInMs} ms unless renewed)` : '') +
        '; one hub leads a cluster at a time',
    );
  }

  /**
   * The latest snapshot and every record logged after it, in order; or, with a warm standby
   * whose core fits the log, that core and the records after it.
   */
  private async load(redis: Redis): Promise<Loaded> {
    const warm = this.options.standby?.take();
    if (warm) {
      const loaded = await this.loadWarm(redis, warm);
      if (loaded) return loaded;
    }
    return this.loadCold(redis);
  }

  /** The standby's core and the log after its last record, if the log goes on from there. */
  private async loadWarm(redis: Redis, warm: WarmState): Promise<Loaded | undefined> {
    const t0 = performance.now();
    const meta = await readSnapshotMeta(redis, this.keys);
    this.base = Number((await redis.get(this.keys.seq)) ?? 0);
    // Ahead of the log: Redis lost its end (restarted without it); what the core holds of it
    // was never durable, and the log is the truth.
    if (warm.covers > this.base || (meta?.covers ?? 0) > this.base) return undefined;
    const records: object[] = [];
    let entries = 0;
    let last = warm.covers;
    let bytes = 0;
    for await (const entry of readLogEntries(redis, this.keys, warm.covers)) {
      if (this.fatal) throw this.fatal;
      // Trimmed past the standby (a compaction while it lagged): not a state to go on from.
      if (entries === 0 && entry.first !== warm.covers + 1) return undefined;
      for (const record of entry.records) records.push(record);
      last = entry.upto;
      bytes += entry.bytes;
      entries++;
    }
    if (last !== this.base) return undefined;
    this.s.entries = entries;
    const t1 = performance.now();
    return {
      snapshot: undefined,
      core: warm.core,
      snapshotAt: meta?.at,
      snapshotBytes: meta?.bytes ?? 0,
      records,
      // The log since the snapshot, which a cold takeover would replay, counts toward the
      // next compaction (its bytes are not known here: the record count and timer decide).
      sinceSnapshot: this.base - (meta?.covers ?? 0),
      entries,
      bytes,
      ms: { snapshotRead: 0, snapshot: t1 - t0, log: performance.now() - t1 },
    };
  }

  private async loadCold(redis: Redis): Promise<Loaded> {
    const loaded = await this.loadColdParts(redis);
    return { ...loaded, sinceSnapshot: loaded.records.length };
  }

  private async loadColdParts(redis: Redis): Promise<{
    snapshot: unknown;
    snapshotAt: number | undefined;
    snapshotBytes: number;
    records: object[];
    entries: number;
    bytes: number;
    ms: { snapshotRead: number; snapshot: number; log: number };
  }> {
    const t0 = performance.now();
    const meta = await readSnapshotMeta(redis, this.keys);
    const encoded = meta ? await readSnapshotBytes(redis, this.keys, meta) : undefined;
    const read = performance.now() - t0;
    const snapshot = encoded ? decodeSnapshot(encoded) : undefined;
    // A lease lost while loading (renewals starved) ends the load now: reading on would
    // only delay the next try, which may well get the lease again at once.
    if (this.fatal) throw this.fatal;
    const t1 = performance.now();
    this.base = Number((await redis.get(this.keys.seq)) ?? 0);
    const covers = meta?.covers ?? 0;
    const records: object[] = [];
    let entries = 0;
    let last = covers;
    let bytes = 0;
    for await (const entry of readLogEntries(redis, this.keys, covers)) {
      if (this.fatal) throw this.fatal;
      for (const record of entry.records) records.push(record);
      last = entry.upto;
      bytes += entry.bytes;
      entries++;
    }
    if (last > this.base)
      throw new StoreError(
        StoreErrorCode.STORE_CORRUPT,
        `the Redis engine log ${this.keys.log} ends at record ${last} but ${this.keys.seq} says ${this.base}: refusing to start`,
      );
    this.s.entries = entries;
    return {
      snapshot,
      snapshotAt: meta?.at,
      snapshotBytes: meta?.bytes ?? 0,
      records,
      entries,
      bytes,
      ms: { snapshotRead: read, snapshot: t1 - t0, log: performance.now() - t1 },
    };
  }

  /**
   * Refuse now what could not be written: a record that cannot be encoded, a store that
   * failed or closed, or Redis out of reach (ENGINE_UNAVAILABLE: the hub refuses the command
   * with a clear code and changes nothing, rather than queue work it cannot acknowledge).
   */
  /** False while Redis is out of reach or the lease is in doubt: new durable work is refused. */
  get available(): boolean {
    return (
      !this.fatal && !this.closed && this.data?.status === 'ready' && (this.lease?.held ?? false)
    );
  }

  prepare(record: object): void {
    if (this.fatal) throw this.fatal;
    if (this.closed) throw storeClosedError(this.mode);
    const data = this.data;
    if (data?.status !== 'ready')
      throw new StoreError(
        StoreErrorCode.ENGINE_UNAVAILABLE,
        `Redis is unreachable (connection ${data?.status ?? 'not open'}): nothing was accepted; retry once it answers`,
      );
    if (this.lease && !this.lease.held)
      throw new StoreError(
        StoreErrorCode.ENGINE_UNAVAILABLE,
        'this hub could not renew its lease on the Redis engine in time: nothing was accepted; retry (another hub may lead by now)',
      );
    this.preparedRecord = undefined;
    this.preparedPayload = undefined;
    this.preparedPayload = packr.pack(record);
    this.preparedRecord = record;
  }

  append(record: object): number {
    if (this.closed) throw storeClosedError(this.mode);
    if (this.fatal) return ++this.seq;
    // MUST: pack() returns the encoder's shared buffer; it is copied into the batch before
    // anything else encodes (as in the WAL).
    const payload = this.preparedRecord === record ? this.preparedPayload! : packr.pack(record);
    this.preparedRecord = undefined;
    this.preparedPayload = undefined;
    const need = this.batchLen + payload.byteLength;
    if (need > this.batch.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.batch.length * 2));
      this.batch.copy(bigger, 0, 0, this.batchLen);
      this.batch = bigger;
    }
    this.batch.set(payload, this.batchLen);
    this.batchLen = need;
    this.seq++;
    this.recordsSinceSnapshot++;
    this.bytesSinceSnapshot += payload.byteLength;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
    return this.seq;
  }

  onDurable(seq: number, cb: (err?: Error) => void): void {
    if (this.fatal && seq > this.durableSeq) cb(this.fatal);
    else this.waiters.add(seq, cb);
  }

  onFsyncLatency(cb: (ms: number) => void): void {
    this.fsyncListeners.push(cb);
  }

  onFatal(cb: (err: Error) => void): void {
    this.fatalListeners.push(cb);
    // Failed between open() and this call (a lease lost while the hub was being built):
    // said now, or the hub would start on a store that takes nothing.
    const fatal = this.fatal;
    if (fatal && !this.silent && !this.closed) queueMicrotask(() => cb(fatal));
  }

  stats(): StoreStats {
    return {
      mode: this.mode,
      appended: this.seq,
      durableSeq: this.durableSeq,
      // One append script answered = one batch made durable (Redis's own fsync, if any, is in it).
      fsyncs: this.s.batches,
      lastFsyncMs: this.s.lastMs,
      bytesWritten: this.s.bytesWritten,
      segments: this.s.entries,
      compactions: this.s.snapshots,
    };
  }

  /**
   * Send the buffered records as one batch: one script, one stream entry. Batches are
   * pipelined on the one connection, so Redis runs them in order, and their replies come
   * back in order.
   */
  private flush(): void {
    this.scheduled = false;
    const data = this.data;
    const lease = this.lease;
    if (this.batchLen === 0 || this.fatal || this.silent || !data || !lease) return;
    const len = this.batchLen;
    const body = Buffer.allocUnsafe(len);
    this.batch.copy(body, 0, 0, len);
    const first = this.batchFirst;
    const upto = this.seq;
    this.batchFirst = upto + 1;
    this.batchLen = 0;
    const t0 = performance.now();
    runScript(
      data,
      APPEND,
      [this.keys.epoch, this.keys.seq, this.keys.log],
      [lease.epoch, this.base + first, this.base + upto, body],
    ).then(
      (reply) => {
        if (this.silent || this.fatal) return;
        const ms = performance.now() - t0;
        this.s.batches++;
        this.s.lastMs = ms;
        this.s.bytesWritten += len;
        if (reply === 1) this.s.entries++;
        else this.s.resent++;
        for (const l of this.fsyncListeners) l(ms);
        const replicas = this.options.waitReplicas;
        if (!replicas || replicas.count === 0) {
          this.waiters.resolve(upto);
          this.maybeCompact(false);
          return;
        }
        this.written = upto;
        this.replicate();
      },
      (err: unknown) => {
        if (this.silent || this.fatal) return;
        if (isFencedReply(err)) {
          this.die(this.fencedError((err as Error).message));
          return;
        }
        // Redis refused the batch (out of memory under noeviction, a script error): it is
        // not in the log, but the core has applied its commands, so this hub's memory is
        // ahead of the log, and every later record was decided on that state. Going on would
        // log them over a hole. Fatal: the hub steps down, and the next leader (maybe this
        // hub again) reloads the state from the log, which is the truth. The batches already
        // sent behind it are refused by the append script (it takes no gap).
        this.die(
          new StoreError(
            StoreErrorCode.ENGINE_UNAVAILABLE,
            `Redis refused a batch of the log (records ${this.base + first}-${this.base + upto}: ${(err as Error).message}); ` +
              'its commands and every later one were not acknowledged. This hub stops leading so that the next leader reloads the state from the log' +
              (/OOM/.test((err as Error).message)
                ? '; Redis is out of memory (maxmemory under noeviction): give it more memory or retain fewer finished tasks'
                : ''),
            { cause: err },
          ),
        );
      },
    );
  }

  /**
   * waitReplicas: one WAIT at a time for what the master has. WAIT counts every write this
   * connection made before it, so its answer covers the batches answered before it was
   * sent. Too few replicas is not a failure of the write (the master has it): WAIT is asked
   * again until they catch up, a warning said once per outage, and only after giveUpMs is
   * the store failed (ENGINE_UNAVAILABLE: the leader steps down rather than hold
   * unacknowledged work forever).
   */
  private replicate(): void {
    const replicas = this.options.waitReplicas;
    const data = this.data;
    if (this.replicating || this.fatal || this.silent || !replicas || !data) return;
    if (this.written <= this.durableSeq) return;
    this.replicating = true;
    const upto = this.written;
    if (this.unverified) {
      this.verifyAfterReconnect(data, upto);
      return;
    }
    const retry = (acked: number, why: string): void => {
      const now = performance.now();
      const outage = (this.replicaOutage ??= { since: now, acked });
      outage.acked = acked;
      const giveUpMs = replicas.giveUpMs ?? DEFAULT_REPLICA_GIVE_UP_MS;
      if (outage.since === now)
        this.options.logger?.warn(
          { keys: this.keys.tag, replicas: acked, wanted: replicas.count, why },
          `too few Redis replicas have the log's latest writes: acknowledgements wait until ${replicas.count} have them (for up to ${giveUpMs} ms)`,
        );
      if (now - outage.since >= giveUpMs) {
        this.die(
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
        if (this.silent || this.fatal) return;
        const acked = Number(reply);
        if (acked < replicas.count) {
          retry(acked, `WAIT answered ${acked} within ${replicas.timeoutMs} ms`);
          return;
        }
        if (this.replicaOutage) {
          this.options.logger?.info(
            {
              keys: this.keys.tag,
              replicas: acked,
              ms: Math.round(performance.now() - this.replicaOutage.since),
            },
            'enough Redis replicas have the log again: acknowledgements resume',
          );
          this.replicaOutage = undefined;
        }
        this.waiters.resolve(upto);
        this.maybeCompact(false);
        this.replicate();
      },
      (err: unknown) => {
        this.replicating = false;
        if (this.silent || this.fatal) return;
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
    runScript(data, TOUCH_SEQ, [this.keys.seq], []).then(
      (v) => {
        this.replicating = false;
        if (this.silent || this.fatal) return;
        const logged = Number(v ?? 0);
        if (logged < this.base + upto) {
          this.die(
            new StoreError(
              StoreErrorCode.ENGINE_UNAVAILABLE,
              `the Redis master now serving ends its log at record ${logged - this.base} of this leader, but records up to ${upto} were written before a reconnect and never reached a replica (a failover lost them); none of them was acknowledged. This hub stops leading so the next leader reloads the state from the log`,
            ),
          );
          return;
        }
        this.unverified = false;
        this.replicate();
      },
      () => {
        this.replicating = false;
        if (this.silent || this.fatal) return;
        setTimeout(() => this.replicate(), 100).unref();
      },
    );
  }

  private maybeCompact(onTimer: boolean): void {
    if (this.compacting || this.closed || this.fatal) return;
    if (this.recordsSinceSnapshot === 0) return;
    // Overdue counts the interval from the snapshot's own time, not this store's open: a
    // leader that took over from one that never reached its timer compacts now. Checked
    // after a batch only, so never before the hub's replay has finished (the first batch
    // is the recover record, appended after it).
    const overdue = Date.now() - this.lastSnapshotAt >= (this.options.snapshotIntervalMs ?? 60_000);
    if (
      overdue ||
      onTimer ||
      this.recordsSinceSnapshot >= (this.options.snapshotAfterRecords ?? 200_000) ||
      this.bytesSinceSnapshot >= (this.options.snapshotAfterBytes ?? 64 * 1024 * 1024) ||
      this.bytesSinceSnapshot >=
        Math.max(
          this.options.snapshotMinLogBytes ?? 1024 * 1024,
          (this.options.snapshotAfterLogRatio ?? 0.5) * this.snapshotBytes,
        )
    )
      void this.compact(false);
  }

  /**
   * Fold the log into a new snapshot now, covering every record appended so far (once they
   * are durable), and trim the log it covers. The work runs in a worker thread with its own
   * Redis connection (redis-compactor-worker.ts): the current snapshot plus the log after it,
   * replayed through the pure core with the live core's options. The main thread never
   * serialises the live state. Resolves when written or given up (logged; the previous
   * snapshot and the log stay, and the next compaction is tried on schedule).
   */
  compactNow(): Promise<void> {
    return this.compact(true);
  }

  private compact(all: boolean): Promise<void> {
    if (this.compacting) return this.compacting;
    if (this.fatal || this.closed || !this.data || !this.lease) return Promise.resolve();
    const target = this.seq;
    this.flush();
    this.compacting = (async () => {
      // On a trigger the durable records are covered; when asked, wait for all appended.
      if (all && target > this.durableSeq) {
        const lost = await new Promise<Error | undefined>((resolve) => {
          this.waiters.add(target, resolve);
          // abandon() runs no callback: it ends this wait itself.
          this.endWait = () => resolve(storeClosedError(this.mode));
        });
        this.endWait = undefined;
        // Not all in the log (the store failed, or close() gave up on them): nothing to fold.
        if (lost) return;
      }
      if (this.fatal || this.silent || !this.lease) return;
      await this.runCompaction(this.base + this.durableSeq, this.lease.epoch);
    })().finally(() => {
      this.compacting = undefined;
    });
    return this.compacting;
  }

  private async runCompaction(covers: number, epoch: number): Promise<void> {
    const records = this.recordsSinceSnapshot;
    const bytes = this.bytesSinceSnapshot;
    // What is appended from now on is not in this compaction.
    this.recordsSinceSnapshot = this.seq - (covers - this.base);
    this.bytesSinceSnapshot = 0;
    const t0 = performance.now();
    const running = startRedisCompaction({
      redis: plainRedisTarget(this.options.redis),
      prefix: this.keys.prefix,
      hubId: this.hubId,
      epoch,
      covers,
      chunkBytes: this.options.snapshotChunkBytes ?? DEFAULT_CHUNK_BYTES,
      replayOptions: this.options.replayOptions,
    });
    this.compactor = running;
    try {
      const result = await running.done;
      if (this.silent) return;
      if (!result.meta) return;
      this.lastSnapshotAt = result.meta.at;
      this.snapshotBytes = result.meta.bytes;
      this.s.snapshots++;
      this.s.entries = Math.max(0, this.s.entries - result.entries);
      this.options.logger?.info(
        {
          keys: this.keys.tag,
          covers,
          records: result.records,
          tasks: result.tasks,
          bytes: result.meta.bytes,
          chunks: result.meta.chunks,
          ms: Math.round(performance.now() - t0),
          threadMs: Object.fromEntries(
            Object.entries(result.ms).map(([k, v]) => [k, Math.round(v)]),
          ),
        },
        'compacted the Redis engine log into a snapshot (in a worker thread) and trimmed the log it covers',
      );
    } catch (err) {
      if (this.silent) return;
      if (isFencedReply(err)) {
        this.die(this.fencedError((err as Error).message));
        return;
      }
      // Failed already (said), or stopped by close().
      if (this.fatal || this.closed) return;
      this.recordsSinceSnapshot += records;
      this.bytesSinceSnapshot += bytes;
      this.options.logger?.warn(
        { keys: this.keys.tag, err: (err as Error).message },
        'could not compact the Redis engine log; the log is kept and compaction is tried again',
      );
    } finally {
      this.compactor = undefined;
    }
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
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.snapshotTimer);
    if (!this.fatal && this.data) {
      this.flush();
      await this.settleWithin(this.options.closeTimeoutMs ?? 10_000);
    }
    await this.compactor?.stop();
    await this.compacting;
    await this.releaseQuietly();
    await this.quitAll();
    this.silent = true;
  }

  /**
   * The process holding this store dies now: timers stop and the connections drop, with
   * nothing flushed and the lease not released (it expires by itself). For crash tests,
   * and for a hub that must stop writing at once. The store is not usable afterwards.
   */
  abandon(): void {
    this.closed = true;
    this.silent = true;
    clearInterval(this.snapshotTimer);
    this.endWait?.();
    // A compaction under way is left to finish: what it writes is derived from the log
    // (and refused by its epoch once a successor leads).
    this.lease?.stop();
    this.disconnectAll();
  }

  /** Wait until every record appended is durable (or failed), at most `ms`. */
  private settleWithin(ms: number): Promise<void> {
    if (this.seq <= this.durableSeq || this.fatal) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        const err = new StoreError(
          StoreErrorCode.ENGINE_UNAVAILABLE,
          `Redis did not take the last ${this.seq - this.durableSeq} records within ${ms} ms of close(); they were not acknowledged`,
        );
        this.options.logger?.error({ keys: this.keys.tag }, err.message);
        this.waiters.fail(this.seq, err);
        resolve();
      }, ms);
      this.waiters.add(this.seq, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async releaseQuietly(): Promise<void> {
    const lease = this.lease;
    if (!lease) return;
    try {
      // A lease passed in runs on the caller's connection: it may be down; do not wait long.
      await Promise.race([
        lease.release(),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ]);
    } catch (err) {
      this.options.logger?.warn(
        { keys: this.keys.tag, err: (err as Error).message },
        'could not release the lease; it expires by itself',
      );
    }
    lease.stop();
  }

  private async quitAll(): Promise<void> {
    for (const conn of [this.data, this.leaseConnection]) {
      if (!conn) continue;
      if (conn.status === 'ready') {
        try {
          await conn.quit();
          continue;
        } catch {
          // fall through: drop it
        }
      }
      conn.disconnect();
    }
  }

  private disconnectAll(): void {
    this.data?.disconnect();
    this.leaseConnection?.disconnect();
  }

  private die(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    clearInterval(this.snapshotTimer);
    this.lease?.stop();
    this.waiters.failAll(err);
    if (this.silent || this.closed) return;
    this.options.logger?.error(
      { keys: this.keys.tag, code: (err as StoreError).code },
      err.message,
    );
    for (const l of this.fatalListeners) l(err);
  }

  private fencedError(reply: string): StoreError {
    return new StoreError(
      StoreErrorCode.FENCED,
      `another hub took over the Redis engine log ${this.keys.tag} (${reply}): this hub (epoch ${this.epoch}) may no longer write; ` +
        'its unacknowledged commands were not accepted',
    );
  }

  private leaseLostError(reason: LeaseLostReason): StoreError {
    return new StoreError(
      StoreErrorCode.FENCED,
      reason === 'refused'
        ? `the lease on the Redis engine log ${this.keys.tag} is no longer this hub's (epoch ${this.epoch}): another hub may lead; stopping writes`
        : `the lease on the Redis engine log ${this.keys.tag} expired before it could be renewed (Redis unreachable, or this hub was paused for over ${this.leaseMs} ms): stopping writes; commands in flight may or may not have been logged`,
    );
  }

  private asStoreError(err: unknown, what: string): Error {
    if (err instanceof StoreError) return err;
    return new StoreError(
      StoreErrorCode.ENGINE_UNAVAILABLE,
      `could not ${what} in Redis (${(err as Error).message})`,
      { cause: err },
    );
  }
}
