import type { Redis } from 'ioredis';
import { StoreError, StoreErrorCode } from '../errors.js';
import type { RedisKeys } from './redis-keys.js';
import { SNAPSHOT_CHUNK, SNAPSHOT_COMMIT, runScript } from './redis-scripts.js';

/**
 * The state snapshot in Redis: two slots (hashes of chunks) and a meta hash naming the
 * current one. A write fills the other slot chunk by chunk, so no value nears Redis's 512 MB
 * limit and no single command blocks Redis for long, then one script makes it current and
 * trims the log it covers. A leader that dies mid-write leaves a partial slot that is never
 * current; the next write clears it. Every step is fenced by the epoch.
 */
export interface SnapshotMeta {
  slot: 'a' | 'b';
  /** The highest log sequence number whose record the state includes. */
  covers: number;
  chunks: number;
  bytes: number;
  at: number;
  epoch: number;
}

export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

export async function readSnapshotMeta(
  redis: Redis,
  keys: RedisKeys,
): Promise<SnapshotMeta | undefined> {
  const h = await redis.hgetall(keys.snapshot);
  if (h.slot === undefined) return undefined;
  if (h.slot !== 'a' && h.slot !== 'b')
    throw corrupt(keys, `the snapshot names slot ${JSON.stringify(h.slot)}`);
  return {
    slot: h.slot,
    covers: Number(h.covers),
    chunks: Number(h.chunks),
    bytes: Number(h.bytes),
    at: Number(h.at),
    epoch: Number(h.epoch),
  };
}

/** The bytes of the current snapshot, checked whole. */
export async function readSnapshotBytes(
  redis: Redis,
  keys: RedisKeys,
  meta: SnapshotMeta,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  const per = 16;
  for (let i = 0; i < meta.chunks; i += per) {
    const fields = Array.from({ length: Math.min(per, meta.chunks - i) }, (_, k) => String(i + k));
    const got = await redis.hmgetBuffer(keys.snapshotSlot(meta.slot), ...fields);
    for (let k = 0; k < got.length; k++) {
      const chunk = got[k];
      if (!chunk) throw corrupt(keys, `chunk ${i + k} of ${meta.chunks} is missing`);
      parts.push(chunk);
    }
  }
  const bytes = Buffer.concat(parts);
  if (bytes.length !== meta.bytes)
    throw corrupt(keys, `the snapshot has ${bytes.length} bytes, ${meta.bytes} expected`);
  return bytes;
}

/**
 * Write `bytes` as the state covering log sequence `covers`, into the slot that is not
 * current, and make it current. Resolves with the new meta; rejects with the reply of a
 * fenced step (`FENCED ...`) or a connection error (the current snapshot stays).
 */
export async function writeSnapshot(
  redis: Redis,
  keys: RedisKeys,
  epoch: number,
  current: 'a' | 'b' | undefined,
  bytes: Buffer,
  covers: number,
  chunkBytes: number = DEFAULT_CHUNK_BYTES,
): Promise<SnapshotMeta> {
  const slot = current === 'a' ? 'b' : 'a';
  const other = slot === 'a' ? 'b' : 'a';
  const chunks = Math.max(1, Math.ceil(bytes.length / chunkBytes));
  const writes: Promise<unknown>[] = [];
  // Sent back to back (pipelined on the connection); Redis runs them in order.
  for (let i = 0; i < chunks; i++)
    writes.push(
      runScript(
        redis,
        SNAPSHOT_CHUNK,
        [keys.epoch, keys.snapshotSlot(slot)],
        [epoch, i, bytes.subarray(i * chunkBytes, (i + 1) * chunkBytes)],
      ),
    );
  const at = Date.now();
  writes.push(
    runScript(
      redis,
      SNAPSHOT_COMMIT,
      [keys.epoch, keys.snapshot, keys.snapshotSlot(slot), keys.snapshotSlot(other), keys.log],
      [epoch, slot, covers, chunks, bytes.length, at, `${covers + 1}-0`],
    ),
  );
  const results = await Promise.allSettled(writes);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { slot, covers, chunks, bytes: bytes.length, at, epoch };
}

function corrupt(keys: RedisKeys, detail: string): StoreError {
  return new StoreError(
    StoreErrorCode.STORE_CORRUPT,
    `the Redis engine's snapshot under ${keys.tag} is damaged (${detail}): refusing to start rather than lose acknowledged work. ` +
      `Check whether something else writes to these keys, or restore Redis from its AOF or RDB backup`,
  );
}
