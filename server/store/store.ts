import type { Core } from '../core/index.js';
import type { HubStore } from '../hub/hub-store.js';
import type { WalFileOps } from './wal-files.js';

export type PersistenceMode = 'memory' | 'snapshot' | 'wal' | 'redis';

export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface StoreOptions {
  mode: PersistenceMode;
  dataDir: string;
  /** always: an ack waits for the fsync covering it. interval: fsync every fsyncIntervalMs. */
  fsync: 'always' | 'interval';
  fsyncIntervalMs: number;
  segmentBytes?: number;
  /** snapshot mode: how often the full state is written. wal mode: the longest time between compactions. */
  snapshotIntervalMs?: number;
  /** wal mode: compact once this many bytes of log accumulated since the last snapshot. */
  compactAfterBytes?: number;
  /**
   * wal mode: compact from the live state (setStateProvider) while the state's weight is at
   * most this (default LIVE_COMPACTION_MAX_WEIGHT), by replaying the log above it; -1 always
   * replays (tests of the replay path).
   */
  liveCompactionMaxWeight?: number;
  repair?: boolean;
  logger?: StoreLogger;
  /** Module and export that replays records in the compactor thread (default: the core). */
  replayer?: { module: string; exportName: string };
  /** Passed to the replayer's restore(): the live core's options, so replay decides alike. */
  replayOptions?: object;
  /** wal mode: the file layer's calls on the open segment (tests inject a failing disk here). */
  fileOps?: Partial<WalFileOps>;
  /** redis mode: where Redis is and which cluster (key prefix) this hub belongs to. */
  redis?: RedisModeOptions;
}

export interface RedisModeOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  /** Hubs with the same Redis and prefix are one cluster (default "switchboard"). */
  prefix?: string;
  /** This hub's name in the lease (default host:pid:random). */
  hubId?: string;
  /** The leader's lease TTL (default 3000 ms). */
  leaseMs?: number;
}

export interface RecoveryStats {
  snapshot: boolean;
  walRecords: number;
  segments: number;
  droppedTailBytes: number;
  droppedTailRecords: number;
  ms: number;
}

export interface Recovered {
  snapshot: unknown;
  records: Iterable<object>;
  /**
   * A core that already holds the state up to `records` (a Redis standby kept it warm):
   * the records are applied to it instead of to a core restored from `snapshot`.
   */
  core?: Core;
  stats: RecoveryStats;
}

export interface StoreStats {
  mode: PersistenceMode;
  appended: number;
  durableSeq: number;
  fsyncs: number;
  lastFsyncMs: number;
  bytesWritten: number;
  segments: number;
  compactions: number;
}

/**
 * Persistence behind one interface. `append` is synchronous and cheap; durability is
 * reported through `onDurable`. A store is opened once (recovery), used, then closed.
 */
export interface Store extends HubStore {
  readonly mode: PersistenceMode;
  open(): Promise<Recovered>;
  /** Flush everything appended, fsync, release the data dir. */
  close(): Promise<void>;
  stats(): StoreStats;
  /** Observe each fsync's latency in ms (metrics). */
  onFsyncLatency(cb: (ms: number) => void): void;
  /**
   * The store hit an error it must not paper over (a failed fsync). The hub must stop:
   * a failed fsync may have dropped dirty pages, so retrying could report durable what is not.
   */
  onFatal(cb: (err: Error) => void): void;
  /**
   * The hub hands over its state: snapshot mode writes it; the WAL compacts from it.
   * `weight` says what taking it costs (the core's snapshotWeight()).
   */
  setStateProvider?(provider: () => object, weight?: () => number): void;
}
