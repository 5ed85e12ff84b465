import { MemoryStore } from './memory-store.js';
import { SnapshotStore } from './snapshot-store.js';
import type { Store, StoreOptions } from './store.js';
import { WalStore } from './wal-store.js';
import { RedisStore } from './redis/redis-store.js';
import { StoreError, StoreErrorCode } from './errors.js';

export type {
  Store,
  StoreOptions,
  Recovered,
  RecoveryStats,
  StoreStats,
  PersistenceMode,
  StoreLogger,
  RedisModeOptions,
} from './store.js';
export { StoreError, StoreCorruptError, StoreErrorCode } from './errors.js';
export { MemoryStore } from './memory-store.js';
export { WalStore } from './wal-store.js';
export { SnapshotStore } from './snapshot-store.js';
export { RedisStore, DEFAULT_LEASE_MS, type RedisStoreOptions } from './redis/redis-store.js';
export { RedisStandby, type WarmState } from './redis/redis-standby.js';
export { stopCompactionThread } from './redis/redis-compactor.js';
export { stopLeaseThread, warmLeaseThread } from './redis/redis-lease-thread.js';
export {
  RedisLease,
  type AcquireResult,
  type LeaseLostReason,
  type LeaseOptions,
} from './redis/redis-lease.js';
export { redisKeys, allRedisKeys, DEFAULT_PREFIX, type RedisKeys } from './redis/redis-keys.js';
export { connectRedis, describeRedis, type RedisTarget } from './redis/redis-connection.js';
export { checkRedisConfig, type RedisDurability } from './redis/redis-config-check.js';

export function createStore(options: StoreOptions): Store {
  switch (options.mode) {
    case 'memory':
      return new MemoryStore();
    case 'snapshot':
      return new SnapshotStore(options);
    case 'wal':
      return new WalStore(options);
    case 'redis':
      if (!options.redis)
        throw new StoreError(
          StoreErrorCode.ENGINE_UNAVAILABLE,
          'store mode redis needs a Redis URL (redis.url)',
        );
      return new RedisStore({
        redis: options.redis.url,
        prefix: options.redis.prefix,
        hubId: options.redis.hubId,
        leaseMs: options.redis.leaseMs,
        snapshotIntervalMs: options.snapshotIntervalMs,
        replayOptions: options.replayOptions,
        logger: options.logger,
      });
  }
}
