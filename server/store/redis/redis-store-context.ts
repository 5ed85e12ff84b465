import type { Redis } from 'ioredis';
import type { DurabilityWaiters } from '../durability-waiters.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLease } from './redis-lease.js';
import type { RedisStoreOptions } from './redis-store-options.js';

/** What a RedisStore counts for stats() (and for its own messages). */
export interface RedisStoreCounters {
  batches: number;
  lastMs: number;
  bytesWritten: number;
  /** Stream entries in the log (stats().segments). */
  entries: number;
  snapshots: number;
  resent: number;
}

/**
 * The state a RedisStore's parts (recovery, appends, replicas, compaction) share. One object,
 * owned by the store, so that each part reads the store's current connection, lease and
 * failure, as the store itself does, rather than a copy taken when it was built.
 */
export interface RedisStoreContext {
  readonly options: RedisStoreOptions;
  readonly keys: RedisKeys;
  readonly hubId: string;
  readonly waiters: DurabilityWaiters;
  readonly counters: RedisStoreCounters;
  data: Redis | undefined;
  lease: RedisLease | undefined;
  /** The log's last sequence number when the store opened; record n is `base + n` in Redis. */
  base: number;
  /** Records appended since open (numbered 1, 2, 3...). */
  seq: number;
  fatal: Error | undefined;
  closed: boolean;
  /** Set once close() resolved or the process "died" (abandon): no callback runs after. */
  silent: boolean;
  /** Fail the store for good: every waiter is told, the hub stops leading. */
  die(err: Error): void;
}
