import type { Redis } from 'ioredis';
import { StoreError, StoreErrorCode } from '../errors.js';
import type { StoreLogger } from '../store.js';
import type { RedisKeys } from './redis-keys.js';
import { RedisLease, type LeaseLostReason } from './redis-lease.js';

/** The cluster's lease for a store opening on `conn` (connected), or who holds it. */
export async function takeLease(
  conn: Redis,
  keys: RedisKeys,
  hubId: string,
  leaseMs: number,
): Promise<RedisLease> {
  const got = await RedisLease.tryAcquire(conn, keys, hubId, leaseMs);
  if (got.acquired) return got.lease;
  throw new StoreError(
    StoreErrorCode.ENGINE_LEASE_HELD,
    `the Redis engine log ${keys.tag} is in use: hub ${got.holder} holds its lease` +
      (got.expiresInMs >= 0 ? ` (it expires in ${got.expiresInMs} ms unless renewed)` : '') +
      '; one hub leads a cluster at a time',
  );
}

/** Let the lease go, so a successor need not wait for it to expire; a failure is only said. */
export async function releaseLeaseQuietly(
  lease: RedisLease | undefined,
  keys: RedisKeys,
  logger: StoreLogger | undefined,
): Promise<void> {
  if (!lease) return;
  try {
    // A lease passed in runs on the caller's connection: it may be down; do not wait long.
    await Promise.race([
      lease.release(),
      new Promise((resolve) => setTimeout(resolve, 1000).unref()),
    ]);
  } catch (err) {
    logger?.warn(
      { keys: keys.tag, err: (err as Error).message },
      'could not release the lease; it expires by itself',
    );
  }
  lease.stop();
}

/** A write refused by its epoch: another hub leads. */
export function fencedError(keys: RedisKeys, epoch: number, reply: string): StoreError {
  return new StoreError(
    StoreErrorCode.FENCED,
    `another hub took over the Redis engine log ${keys.tag} (${reply}): this hub (epoch ${epoch}) may no longer write; ` +
      'its unacknowledged commands were not accepted',
  );
}

export function leaseLostError(
  keys: RedisKeys,
  epoch: number,
  leaseMs: number,
  reason: LeaseLostReason,
): StoreError {
  return new StoreError(
    StoreErrorCode.FENCED,
    reason === 'refused'
      ? `the lease on the Redis engine log ${keys.tag} is no longer this hub's (epoch ${epoch}): another hub may lead; stopping writes`
      : `the lease on the Redis engine log ${keys.tag} expired before it could be renewed (Redis unreachable, or this hub was paused for over ${leaseMs} ms): stopping writes; commands in flight may or may not have been logged`,
  );
}
