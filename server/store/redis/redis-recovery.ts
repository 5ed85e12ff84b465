import type { Redis } from 'ioredis';
import { StoreError, StoreErrorCode } from '../errors.js';
import type { Core } from '../../core/index.js';
import type { RedisKeys } from './redis-keys.js';
import { readLogEntries } from './redis-log.js';
import { readSnapshotBytes, readSnapshotMeta } from './redis-snapshot.js';
import { decodeSnapshot } from './redis-snapshot-codec.js';
import type { RedisStandby, WarmState } from './redis-standby.js';

/** What open() loaded: a snapshot to restore (or a warm core) and the records after it. */
export interface Loaded {
  /** The log's last sequence number (`seq` key) when it was read. */
  base: number;
  snapshot: unknown;
  core?: Core;
  snapshotAt: number | undefined;
  snapshotBytes: number;
  records: object[];
  /** Records in the log since the snapshot (what a cold load replays). */
  sinceSnapshot: number;
  entries: number;
  bytes: number;
  ms: { snapshotRead: number; snapshot: number; log: number };
}

/** A failure of the store while it loads (a lease lost: renewals starved) ends the load. */
type Failed = () => Error | undefined;

/**
 * The latest snapshot and every record logged after it, in order; or, with a warm standby
 * whose core fits the log, that core and the records after it.
 */
export async function loadRedisLog(
  redis: Redis,
  keys: RedisKeys,
  standby: RedisStandby | undefined,
  failed: Failed,
): Promise<Loaded> {
  const warm = standby?.take();
  if (warm) {
    const loaded = await loadWarm(redis, keys, warm, failed);
    if (loaded) return loaded;
  }
  const loaded = await loadCold(redis, keys, failed);
  return { ...loaded, sinceSnapshot: loaded.records.length };
}

/** The standby's core and the log after its last record, if the log goes on from there. */
async function loadWarm(
  redis: Redis,
  keys: RedisKeys,
  warm: WarmState,
  failed: Failed,
): Promise<Loaded | undefined> {
  const t0 = performance.now();
  const meta = await readSnapshotMeta(redis, keys);
  const base = Number((await redis.get(keys.seq)) ?? 0);
  // Ahead of the log: Redis lost its end (restarted without it); what the core holds of it
  // was never durable, and the log is the truth.
  if (warm.covers > base || (meta?.covers ?? 0) > base) return undefined;
  const records: object[] = [];
  let entries = 0;
  let last = warm.covers;
  let bytes = 0;
  for await (const entry of readLogEntries(redis, keys, warm.covers)) {
    const fatal = failed();
    if (fatal) throw fatal;
    // Trimmed past the standby (a compaction while it lagged): not a state to go on from.
    if (entries === 0 && entry.first !== warm.covers + 1) return undefined;
    for (const record of entry.records) records.push(record);
    last = entry.upto;
    bytes += entry.bytes;
    entries++;
  }
  if (last !== base) return undefined;
  const t1 = performance.now();
  return {
    base,
    snapshot: undefined,
    core: warm.core,
    snapshotAt: meta?.at,
    snapshotBytes: meta?.bytes ?? 0,
    records,
    // The log since the snapshot, which a cold takeover would replay, counts toward the
    // next compaction (its bytes are not known here: the record count and timer decide).
    sinceSnapshot: base - (meta?.covers ?? 0),
    entries,
    bytes,
    ms: { snapshotRead: 0, snapshot: t1 - t0, log: performance.now() - t1 },
  };
}

async function loadCold(
  redis: Redis,
  keys: RedisKeys,
  failed: Failed,
): Promise<Omit<Loaded, 'sinceSnapshot' | 'core'>> {
  const t0 = performance.now();
  const meta = await readSnapshotMeta(redis, keys);
  const encoded = meta ? await readSnapshotBytes(redis, keys, meta) : undefined;
  const read = performance.now() - t0;
  const snapshot = encoded ? decodeSnapshot(encoded) : undefined;
  // A lease lost while loading (renewals starved) ends the load now: reading on would
  // only delay the next try, which may well get the lease again at once.
  const fatal = failed();
  if (fatal) throw fatal;
  const t1 = performance.now();
  const base = Number((await redis.get(keys.seq)) ?? 0);
  const covers = meta?.covers ?? 0;
  const records: object[] = [];
  let entries = 0;
  let last = covers;
  let bytes = 0;
  for await (const entry of readLogEntries(redis, keys, covers)) {
    const fatal = failed();
    if (fatal) throw fatal;
    for (const record of entry.records) records.push(record);
    last = entry.upto;
    bytes += entry.bytes;
    entries++;
  }
  if (last > base)
    throw new StoreError(
      StoreErrorCode.STORE_CORRUPT,
      `the Redis engine log ${keys.log} ends at record ${last} but ${keys.seq} says ${base}: refusing to start`,
    );
  return {
    base,
    snapshot,
    snapshotAt: meta?.at,
    snapshotBytes: meta?.bytes ?? 0,
    records,
    entries,
    bytes,
    ms: { snapshotRead: read, snapshot: t1 - t0, log: performance.now() - t1 },
  };
}
