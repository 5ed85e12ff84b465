import type { Redis } from 'ioredis';
import { StoreError, StoreErrorCode } from '../errors.js';
import type { StoreLogger } from '../store.js';
import { describeRedis } from './redis-connection.js';

export interface RedisDurability {
  /** `appendonly yes`: Redis logs every write to its AOF. Undefined when CONFIG is not allowed. */
  appendonly?: boolean;
  /** `appendfsync`: always, everysec or no. */
  appendfsync?: string;
  maxmemoryPolicy?: string;
}

async function configGet(redis: Redis, name: string): Promise<string | undefined> {
  const reply = (await redis.config('GET', name)) as string[];
  return reply.length >= 2 ? reply[1] : undefined;
}

/**
 * Refuse a Redis that may evict keys: with any `maxmemory-policy` but `noeviction`, Redis
 * under memory pressure deletes keys, the hub's log among them, and acknowledged tasks are
 * gone without an error (BullMQ users lose jobs to exactly this). Warn when Redis does not
 * log writes to disk: then "durable" means "in Redis's memory", and a Redis restart loses
 * what was acknowledged. Managed services often forbid CONFIG: then warn and go on.
 */
export async function checkRedisConfig(
  redis: Redis,
  logger: StoreLogger | undefined,
): Promise<RedisDurability> {
  const where = describeRedis(redis);
  let found: RedisDurability;
  try {
    found = {
      maxmemoryPolicy: await configGet(redis, 'maxmemory-policy'),
      appendonly: (await configGet(redis, 'appendonly')) === 'yes',
      appendfsync: await configGet(redis, 'appendfsync'),
    };
  } catch (err) {
    logger?.warn(
      { redis: where, err: (err as Error).message },
      "cannot read Redis's configuration (CONFIG is not allowed here): make sure maxmemory-policy is noeviction, or Redis may evict the hub's keys and lose acknowledged tasks, and that appendonly is yes with appendfsync always",
    );
    return {};
  }
  if (found.maxmemoryPolicy !== undefined && found.maxmemoryPolicy !== 'noeviction')
    throw new StoreError(
      StoreErrorCode.ENGINE_EVICTS,
      `Redis at ${where} has maxmemory-policy ${found.maxmemoryPolicy}: when it fills up it evicts keys, ` +
        `the hub's log among them, and acknowledged tasks would be lost without an error (BullMQ users lose jobs to exactly this). ` +
        `Refusing to start. Set "maxmemory-policy noeviction" in redis.conf (or run: redis-cli CONFIG SET maxmemory-policy noeviction); ` +
        `Redis then refuses writes when full, and the hub answers ENGINE_UNAVAILABLE instead of losing work`,
    );
  if (!found.appendonly)
    logger?.warn(
      { redis: where, appendonly: 'no' },
      'Redis does not log writes to disk (appendonly no): an acknowledged task is only in Redis memory, and a Redis restart or crash loses it. Set appendonly yes and appendfsync always for durability',
    );
  else if (found.appendfsync !== 'always')
    logger?.warn(
      { redis: where, appendfsync: found.appendfsync },
      `Redis fsyncs its AOF ${found.appendfsync === 'everysec' ? 'once a second' : 'when the OS decides'} (appendfsync ${found.appendfsync}): a power cut of the Redis host can lose acknowledged tasks. Set appendfsync always for durability`,
    );
  return found;
}
