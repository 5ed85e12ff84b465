import type { Redis } from 'ioredis';
import { StoreError, StoreErrorCode } from '../errors.js';
import type { StoreLogger } from '../store.js';
import { describeRedis } from './redis-connection.js';

/**
 * Say once when a connection is lost and once when it is back (ioredis emits an error on
 * every failed reconnect; without a listener it prints each one). While the log's
 * connection is down, prepare() refuses durable commands with ENGINE_UNAVAILABLE.
 */
export function watchReachability(
  conn: Redis,
  role: 'log' | 'lease',
  logger: StoreLogger | undefined,
  silent: () => boolean,
): void {
  let down = false;
  conn.on('error', (err: Error) => {
    if (down || silent()) return;
    down = true;
    logger?.warn(
      { redis: describeRedis(conn), connection: role, err: err.message },
      role === 'log'
        ? 'Redis unreachable: durable commands are refused with ENGINE_UNAVAILABLE until it answers; writes in flight wait and are re-sent'
        : 'Redis unreachable: the lease cannot be renewed; it is lost if Redis stays away past its TTL',
    );
  });
  conn.on('ready', () => {
    if (!down || silent()) return;
    down = false;
    logger?.info({ redis: describeRedis(conn), connection: role }, 'Redis answers again');
  });
}

/** Connect, or say that Redis is out of reach (ENGINE_UNAVAILABLE) and what to do. */
export async function connectOrUnavailable(redis: Redis): Promise<void> {
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

/** Quit each connection that answers (what it was sent is taken first); drop the others. */
export async function quitConnections(conns: (Redis | undefined)[]): Promise<void> {
  for (const conn of conns) {
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

/** Anything that went wrong talking to Redis, as the store's error (ENGINE_UNAVAILABLE). */
export function asStoreError(err: unknown, what: string): Error {
  if (err instanceof StoreError) return err;
  return new StoreError(
    StoreErrorCode.ENGINE_UNAVAILABLE,
    `could not ${what} in Redis (${(err as Error).message})`,
    { cause: err },
  );
}
