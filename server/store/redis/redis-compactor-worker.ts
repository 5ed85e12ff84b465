import { parentPort } from 'node:worker_threads';
import { Core, replay, type CoreOptions } from '../../core/index.js';
import type { RedisCompactionJob, RedisCompactionResult } from './redis-compactor.js';
import { connectRedis } from './redis-connection.js';
import { redisKeys, type RedisKeys } from './redis-keys.js';
import { readLogEntries } from './redis-log.js';
import { readSnapshotBytes, readSnapshotMeta, writeSnapshot } from './redis-snapshot.js';
import { decodeSnapshot, encodeSnapshot } from './redis-snapshot-codec.js';
import type { Redis } from 'ioredis';

/** The log's records after `after` up to `covers`, counting the entries they came in. */
async function* logRecords(
  redis: Redis,
  keys: RedisKeys,
  after: number,
  covers: number,
  count: { entries: number },
): AsyncGenerator<object> {
  for await (const entry of readLogEntries(redis, keys, after, covers)) {
    count.entries++;
    for (let k = 0; k < entry.records.length && entry.first + k <= covers; k++)
      yield entry.records[k]!;
  }
}

/**
 * Compaction thread of the Redis engine: the current snapshot + the log after it up to
 * `covers` → replay through the pure core (as recovery does) → a new snapshot, written and
 * made current by the fenced scripts, which also trim the log it covers. The leader's main
 * thread never serialises its live state, so its event loop (and its lease renewals) do not
 * stall however many tasks it holds. A successor's higher epoch refuses every write of a
 * fenced leader's thread, so at worst a partial slot is left, which is never current.
 */
async function main(job: RedisCompactionJob): Promise<RedisCompactionResult> {
  const keys = redisKeys(job.prefix);
  // Fail rather than wait for Redis forever: a compaction that fails is tried again later.
  const redis = connectRedis(job.redis, `switchboard:${job.hubId}:compactor`, {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let t0 = performance.now();
    const current = await readSnapshotMeta(redis, keys);
    const after = current?.covers ?? 0;
    const state = current
      ? decodeSnapshot(await readSnapshotBytes(redis, keys, current))
      : undefined;
    const read = performance.now() - t0;
    const ms = { read, replay: 0, encode: 0, write: 0 };
    if (after >= job.covers) return { meta: undefined, records: 0, entries: 0, tasks: 0, ms };
    t0 = performance.now();
    const core = Core.restore(state, job.replayOptions as Partial<CoreOptions> | undefined);
    const count = { entries: 0 };
    const records = await replay(core, logRecords(redis, keys, after, job.covers, count));
    ms.replay = performance.now() - t0;
    t0 = performance.now();
    const bytes = encodeSnapshot(core.snapshot());
    ms.encode = performance.now() - t0;
    t0 = performance.now();
    const meta = await writeSnapshot(
      redis,
      keys,
      job.epoch,
      current?.slot,
      bytes,
      job.covers,
      job.chunkBytes,
    );
    ms.write = performance.now() - t0;
    return { meta, records, entries: count.entries, tasks: core.tasks.size, ms };
  } finally {
    redis.disconnect();
  }
}

// Jobs one at a time, in the order they came.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (msg: { id: number; job: RedisCompactionJob } | { stop: true }) => {
  // After the jobs already queued: with its port closed the thread has nothing left to do.
  if ('stop' in msg) {
    queue = queue.then(() => parentPort!.close());
    return;
  }
  const { id, job } = msg;
  queue = queue.then(() =>
    main(job).then(
      (result) => parentPort!.postMessage({ id, ok: true, result }),
      (err: unknown) => parentPort!.postMessage({ id, ok: false, error: (err as Error).message }),
    ),
  );
});
