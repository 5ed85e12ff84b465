import type { Redis, RedisOptions } from 'ioredis';
import { lazyRequire } from '../../support/lazy-require.js';

/** ioredis is loaded only by hubs on the Redis engine. */
const ioredis = lazyRequire<typeof import('ioredis')>('ioredis');

/** Where Redis is: a URL (`redis://host:port/db`), an ioredis instance to copy, or its options. */
export type RedisTarget = string | Redis | RedisOptions;

/**
 * What the engine's connections must do, whatever the caller configured:
 * - wait for Redis forever rather than reject a command after N reconnects
 *   (`maxRetriesPerRequest: null`): a rejected append would leave the hub not knowing
 *   whether the batch is in the log;
 * - queue commands while disconnected and re-send the unanswered ones after a reconnect
 *   (the append script's sequence check makes a re-sent batch land once);
 * - connect on demand, so open() reports an unreachable Redis itself.
 */
const REQUIRED: Partial<RedisOptions> = {
  maxRetriesPerRequest: null,
  enableOfflineQueue: true,
  autoResendUnfulfilledCommands: true,
  enableReadyCheck: true,
  lazyConnect: true,
};

/** A new connection of the engine's own to `target`. */
export function connectRedis(target: RedisTarget, name: string): Redis {
  const Ctor = ioredis().Redis;
  const own = { ...REQUIRED, connectionName: name };
  if (typeof target === 'string') return new Ctor(target, own);
  if (target instanceof Ctor) return target.duplicate(own);
  return new Ctor({ ...target, ...own });
}

/** Where a connection points, for messages (no password). */
export function describeRedis(redis: Redis): string {
  const o = redis.options;
  if (o.sentinels?.length) return `sentinel master ${o.name ?? '?'}`;
  if (o.path) return o.path;
  return `${o.host ?? '127.0.0.1'}:${o.port ?? 6379}${o.db ? `/${o.db}` : ''}`;
}
