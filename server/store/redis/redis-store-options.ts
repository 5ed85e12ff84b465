import type { StoreLogger } from '../store.js';
import type { RedisTarget } from './redis-connection.js';
import type { RedisLease } from './redis-lease.js';
import type { RedisStandby } from './redis-standby.js';

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

/** How long too few replicas is waited out before the store gives up (waitReplicas). */
export const DEFAULT_REPLICA_GIVE_UP_MS = 30_000;
