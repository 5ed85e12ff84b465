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

/**
 * A new connection of the engine's own to `target`. `overrides` are for connections that
 * must not wait forever (the compaction thread's: a compaction that fails is tried again).
 */
export function connectRedis(
  target: RedisTarget,
  name: string,
  overrides: Partial<RedisOptions> = {},
): Redis {
  const Ctor = ioredis().Redis;
  const own = { ...REQUIRED, ...overrides, connectionName: name };
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

/**
 * `target` as something a worker thread can be given (structured clone): a URL as it is, an
 * instance as its options, with what cannot be cloned (functions such as a retryStrategy)
 * left out; the thread's connection then uses ioredis's defaults for those.
 */
export function plainRedisTarget(target: RedisTarget): string | RedisOptions {
  if (typeof target === 'string') return target;
  const Ctor = ioredis().Redis;
  const options = target instanceof Ctor ? target.options : target;
  return withoutFunctions(options) as RedisOptions;
}

function withoutFunctions(value: unknown): unknown {
  if (typeof value === 'function') return undefined;
  if (Array.isArray(value)) return value.map(withoutFunctions);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const plain = withoutFunctions(v);
    if (plain !== undefined) out[k] = plain;
  }
  return out;
}
