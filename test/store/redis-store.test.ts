import t from 'tap';
import { pack } from 'msgpackr';
import {
  allRedisKeys,
  redisKeys,
  RedisStore,
  type Store,
  type StoreLogger,
} from '../../server/store/index.js';
import { APPEND, runScript } from '../../server/store/redis/redis-scripts.js';
import { freePort } from '../helpers/free-port.js';
import { CORE_OPTIONS, CoreDriver, coreState, replayedState } from './store-contract.js';
import { requireTool } from '../helpers/requires.js';
import {
  SHARED_REDIS_URL,
  dropAtTeardown,
  redisClient,
  startRedisServer,
  testCluster,
} from '../helpers/redis.js';
import { stopCompactionThread, stopLeaseThread } from '../../server/store/index.js';

// The compaction thread outlives each store (it is kept for the next job): ended here, it
// exits by itself, as it does at a hub's stop.
t.teardown(() => Promise.all([stopCompactionThread(), stopLeaseThread()]));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const durable = (store: Store, seq: number): Promise<Error | undefined> =>
  new Promise((resolve) => store.onDurable(seq, (err) => resolve(err)));
const codeOf = (err: unknown): string | undefined => (err as { code?: string } | undefined)?.code;

function captureLog(): StoreLogger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at =
    (level: string) =>
    (_obj: object, msg?: string): void => {
      lines.push({ level, msg: msg ?? '' });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

async function openError(store: RedisStore): Promise<Error | undefined> {
  return store.open().then(
    () => undefined,
    (err: unknown) => err as Error,
  );
}

t.test('every key of a cluster carries one hash tag (one Redis Cluster slot)', async (t) => {
  const keys = redisKeys('prod-eu.1');
  for (const key of allRedisKeys(keys)) {
    t.ok(key.startsWith('{sb:prod-eu.1}:'), `${key} starts with the tag`);
    // Redis Cluster hashes the text between the first { and the next }: the tag, for all.
    t.equal(key.slice(key.indexOf('{') + 1, key.indexOf('}')), 'sb:prod-eu.1');
  }
  t.equal(redisKeys().tag, '{sb:switchboard}', 'the default prefix');
  t.throws(() => redisKeys('a}b'), RangeError, 'a prefix that would end the tag is refused');
});

if (requireTool('redis', 'redis-server')) {
  t.test('open() against a port where nothing listens: ENGINE_UNAVAILABLE, at once', async (t) => {
    const port = await freePort();
    const t0 = performance.now();
    const err = await openError(new RedisStore({ redis: `redis://127.0.0.1:${port}` }));
    t.equal(codeOf(err), 'ENGINE_UNAVAILABLE');
    t.match(err?.message, new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${port}`));
    t.ok(performance.now() - t0 < 3000, 'without waiting for reconnects');
  });

  t.test(
    'a Redis that may evict keys is refused; one without a disk log is warned about',
    async (t) => {
      const lru = await startRedisServer(t, ['--maxmemory-policy', 'allkeys-lru']);
      const err = await openError(new RedisStore({ redis: lru.url, prefix: testCluster().prefix }));
      t.equal(codeOf(err), 'ENGINE_EVICTS');
      t.match(err?.message, /maxmemory-policy allkeys-lru/);
      t.match(err?.message, /BullMQ/, 'the message says what is at stake');
      t.match(err?.message, /maxmemory-policy noeviction/, 'and how to fix it');

      const volatile = await startRedisServer(t, ['--appendonly', 'no']);
      const log = captureLog();
      const store = new RedisStore({
        redis: volatile.url,
        prefix: testCluster().prefix,
        logger: log,
      });
      await store.open();
      t.equal(store.redisDurability.appendonly, false);
      t.ok(
        log.lines.some((l) => l.level === 'warn' && /appendonly no/.test(l.msg)),
        'warned: acknowledged means in Redis memory only',
      );
      await store.close();

      const managed = await startRedisServer(t, ['--rename-command', 'CONFIG', '']);
      const log2 = captureLog();
      const store2 = new RedisStore({
        redis: managed.url,
        prefix: testCluster().prefix,
        logger: log2,
      });
      await store2.open();
      t.ok(
        log2.lines.some((l) => l.level === 'warn' && /CONFIG is not allowed/.test(l.msg)),
        'CONFIG forbidden (a managed Redis): a warning, and the store opens',
      );
      await store2.close();
    },
  );

  t.test('a batch sent twice is appended once', async (t) => {
    const keys = testCluster('resend');
    const redis = redisClient(t);
    dropAtTeardown(t, redis, keys);
    await redis.set(keys.epoch, 7);
    const args = [7, 1, 3, Buffer.from([1, 2, 3])];
    t.equal(await runScript(redis, APPEND, [keys.epoch, keys.seq, keys.log], args), 1);
    t.equal(
      await runScript(redis, APPEND, [keys.epoch, keys.seq, keys.log], args),
      2,
      'the resend is recognised',
    );
    t.equal(await redis.xlen(keys.log), 1, 'one entry');
    await t.rejects(
      runScript(redis, APPEND, [keys.epoch, keys.seq, keys.log], [7, 2, 5, Buffer.from([4])]),
      /OVERLAP/,
      'a batch overlapping the log is refused, not half appended',
    );
    await t.rejects(
      runScript(redis, APPEND, [keys.epoch, keys.seq, keys.log], [6, 4, 5, Buffer.from([4])]),
      /FENCED/,
      'an old epoch is refused',
    );
    await t.rejects(
      runScript(redis, APPEND, [keys.epoch, keys.seq, keys.log], [7, 5, 6, Buffer.from([4])]),
      /GAP/,
      'a batch that does not follow the log is refused: no hole in the log',
    );
    t.equal(await redis.get(keys.seq), '3');
    t.equal(await redis.xlen(keys.log), 1);

    // For real: the connection is killed under batches in flight; ioredis re-sends what it
    // had no reply for, and every record lands exactly once.
    const store = new RedisStore({
      redis: SHARED_REDIS_URL,
      prefix: testCluster('resend2').prefix,
      leaseMs: 5000,
    });
    dropAtTeardown(t, redis, store.keys);
    await store.open();
    // The store's log connection, found by the name it gives itself.
    const logClientId = async (): Promise<string | undefined> => {
      const list = String(await redis.client('LIST'));
      const line = list.split('\n').find((l) => l.includes(` name=switchboard:${store.hubId} `));
      return line?.match(/^id=(\d+)/)?.[1];
    };
    let seq = 0;
    let kills = 0;
    for (let round = 0; round < 30; round++) {
      let id = await logClientId();
      // The previous kill's reconnect may still be under way.
      for (let i = 0; i < 200 && (id === undefined || store.connection!.status !== 'ready'); i++) {
        await sleep(5);
        id = await logClientId();
      }
      for (let i = 0; i < 50; i++)
        seq = store.append({ type: 'gc', now: seq, pad: 'z'.repeat(200) });
      // Let the batch go out, then cut the connection under it.
      await new Promise((r) => setImmediate(r));
      if (id && Number(await redis.client('KILL', 'ID', id)) === 1) kills++;
      if ((await durable(store, seq)) !== undefined) t.fail(`round ${round}: a record was lost`);
    }
    t.equal(kills, 30, `${kills} connections killed under batches in flight`);
    t.comment(`${store.resentBatches} batches were re-sent after a kill and appended once`);
    await store.close();
    const again = new RedisStore({ redis: SHARED_REDIS_URL, prefix: store.keys.prefix });
    const records = [...(await again.open()).records] as { now: number }[];
    t.equal(records.length, seq, `all ${seq} records, none twice`);
    t.ok(
      records.every((r, i) => r.now === i),
      'in order',
    );
    await again.close();
  });

  t.test(
    'Redis restarted (appendonly yes, appendfsync always): ENGINE_UNAVAILABLE meanwhile, nothing reported durable lost',
    async (t) => {
      const server = await startRedisServer(t);
      const keys = testCluster('restart');
      // A lease longer than the outages: the leader rides them out.
      const store = new RedisStore({ redis: server.url, prefix: keys.prefix, leaseMs: 10_000 });
      const fatal: Error[] = [];
      store.onFatal((err) => fatal.push(err));
      await store.open();
      let n = 0;
      let refused = 0;
      const refusedCodes = new Set<string>();
      const reported: number[] = [];
      const lost: number[] = [];
      const tick = (): void => {
        // A command from a client: prepared first, refused while Redis is away.
        const cmd = { type: 'gc', now: n };
        try {
          store.prepare(cmd);
        } catch (err) {
          refused++;
          refusedCodes.add(codeOf(err) ?? String(err));
          // What the core derives on its own (a tick's lease timeout) is appended regardless.
          cmd.now = -1;
        }
        const mine = n++;
        const seq = store.append({ ...cmd, n: mine });
        store.onDurable(seq, (err) => (err ? lost : reported).push(mine));
      };
      const timer = setInterval(tick, 1);
      for (let outage = 0; outage < 3; outage++) {
        await sleep(150);
        await server.kill();
        await sleep(200);
        await server.start();
      }
      await sleep(150);
      clearInterval(timer);
      const last = store.stats().appended;
      t.equal(
        await durable(store, last),
        undefined,
        'everything appended is durable once Redis is back',
      );
      t.same(fatal, [], 'no fatal error: the leader rode out three restarts');
      t.ok(refused > 0, `${refused} commands refused while Redis was away`);
      t.same([...refusedCodes], ['ENGINE_UNAVAILABLE'], 'all with ENGINE_UNAVAILABLE');
      t.same(lost, [], 'no record lost');
      t.comment(
        `${n} records appended, ${reported.length} reported durable, ${store.resentBatches} re-sent`,
      );
      const p = { type: 'gc', now: 1 };
      store.prepare(p);
      t.pass('prepare accepts again without a restart of the store');
      store.append(p);
      await store.close();
      // SIGKILL once more: only what Redis fsynced is left.
      await server.kill();
      await server.start();
      const again = new RedisStore({ redis: server.url, prefix: keys.prefix });
      const records = [...(await again.open()).records] as { n?: number }[];
      const got = records.filter((r) => r.n !== undefined).map((r) => r.n!);
      const have = new Set(got);
      t.equal(got.length, have.size, 'no record twice');
      t.same(
        reported.filter((x) => !have.has(x)),
        [],
        `every one of the ${reported.length} records reported durable survived`,
      );
      t.same(
        got,
        [...got].sort((a, b) => a - b),
        'in append order',
      );
      await again.close();
    },
  );

  t.test(
    'compaction (a worker thread) writes a large state in chunks, reads back whole, and trims the log',
    async (t) => {
      const keys = testCluster('snap');
      const redis = redisClient(t);
      dropAtTeardown(t, redis, keys);
      const make = (): RedisStore =>
        new RedisStore({
          redis: SHARED_REDIS_URL,
          prefix: keys.prefix,
          snapshotChunkBytes: 256 * 1024,
          snapshotIntervalMs: 60_000,
          replayOptions: CORE_OPTIONS,
        });
      const store = make();
      await store.open();
      const d = new CoreDriver(store);
      const big = 'x'.repeat(1000);
      for (let i = 0; i < 3000; i++) d.submit({ payload: { i, big } });
      await store.compactNow();
      const meta = await redis.hgetall(keys.snapshot);
      t.ok(
        Number(meta.chunks) >= 12,
        `${meta.chunks} chunks of at most 256 KiB for ${meta.bytes} bytes`,
      );
      t.equal(meta.covers, '3000', 'it covers the 3000 records appended before it');
      t.equal(meta.epoch, String(store.epoch), 'written under the leader epoch');
      t.equal(await redis.xlen(keys.log), 0, 'the log it covers is trimmed');
      t.equal(store.stats().compactions, 1);
      // The next snapshot goes to the other slot, and the old one is dropped.
      d.scripted(10);
      await store.compactNow();
      const meta2 = await redis.hgetall(keys.snapshot);
      t.not(meta2.slot, meta.slot, 'the next snapshot is written to the other slot');
      t.equal(meta2.covers, String(d.seq));
      t.equal(
        await redis.exists(keys.snapshotSlot(meta.slot as 'a' | 'b')),
        0,
        'the old slot is dropped',
      );
      const covered = d.seq;
      d.submit({ payload: 'after' });
      t.equal(await durable(store, d.seq), undefined);
      const live = coreState(d.core);
      // A crash: nothing at close, the lease left to expire (deleted here).
      store.abandon();
      await redis.del(keys.lease);
      const again = make();
      const rec = await again.open();
      t.ok(rec.snapshot !== undefined, 'recovery starts from the snapshot');
      t.same([...rec.records], d.journal.slice(covered), 'and the records after it');
      t.equal(replayedState(rec.snapshot, rec.records), live, 'which make the live state');
      t.equal(again.baseSeq, d.seq, 'numbering in Redis continues from the last leader');
      await again.close();
    },
  );

  t.test('compaction starts by itself after snapshotAfterRecords records', async (t) => {
    const keys = testCluster('auto');
    const redis = redisClient(t);
    dropAtTeardown(t, redis, keys);
    const store = new RedisStore({
      redis: SHARED_REDIS_URL,
      prefix: keys.prefix,
      snapshotAfterRecords: 500,
      replayOptions: CORE_OPTIONS,
    });
    await store.open();
    const d = new CoreDriver(store);
    d.register('w1', 3);
    for (let i = 0; i < 600; i++) {
      d.submit();
      if (i % 3 === 0) d.finish(i, 'complete');
      if (i % 50 === 0) await durable(store, d.seq);
    }
    t.equal(await durable(store, d.seq), undefined);
    let covers = 0;
    for (let i = 0; i < 400 && covers === 0; i++) {
      await sleep(25);
      covers = Number((await redis.hget(keys.snapshot, 'covers')) ?? 0);
    }
    t.ok(covers >= 500, `a snapshot covering ${covers} records was written without being asked`);
    const live = coreState(d.core);
    await store.close();
    const again = new RedisStore({ redis: SHARED_REDIS_URL, prefix: keys.prefix });
    const rec = await again.open();
    t.equal(rec.records.length, d.seq - covers, 'recovery replays only the records after it');
    t.equal(replayedState(rec.snapshot, rec.records), live, 'snapshot + tail = the live state');
    await again.close();
  });

  t.test(
    'compaction keeps the log short against the state: again each time the log reaches half the snapshot',
    async (t) => {
      const keys = testCluster('ratio');
      const redis = redisClient(t);
      dropAtTeardown(t, redis, keys);
      const store = new RedisStore({
        redis: SHARED_REDIS_URL,
        prefix: keys.prefix,
        snapshotAfterLogRatio: 0.5,
        snapshotMinLogBytes: 4096,
        replayOptions: CORE_OPTIONS,
      });
      await store.open();
      const d = new CoreDriver(store);
      d.register('w1', 3);
      // The state grows (tasks stay queued), so each snapshot is larger than the last; the
      // record and byte thresholds (200,000 records, 64 MiB) are nowhere near.
      for (let i = 0; i < 3000; i++) {
        d.submit();
        if (i % 20 === 0) {
          const err = await durable(store, d.seq);
          if (err) throw err;
        }
      }
      t.equal(await durable(store, d.seq), undefined);
      // Two at least: "again" is the point. How many more depends on how fast each one runs
      // against the writes (one at a time; a slow one on loaded cores covers more records).
      for (let i = 0; i < 800 && store.stats().compactions < 2; i++) await sleep(25);
      const compactions = store.stats().compactions;
      t.ok(compactions >= 2, `${compactions} snapshots made as the state grew`);
      // The ratio is checked after each batch, so a compaction still running when the last
      // batch landed leaves its lag in the log (3.6x the snapshot was seen on loaded cores).
      // Once it is done, one more batch is what starts the next: then the log is short.
      const settled = async (): Promise<void> => {
        let seen = -1;
        for (let i = 0; i < 40 && store.stats().compactions !== seen; i++) {
          seen = store.stats().compactions;
          await sleep(500);
        }
      };
      await settled();
      d.submit();
      t.equal(await durable(store, d.seq), undefined);
      await settled();
      const bytes = Number(await redis.hget(keys.snapshot, 'bytes'));
      const live = coreState(d.core);
      await store.close();
      const again = new RedisStore({ redis: SHARED_REDIS_URL, prefix: keys.prefix });
      const rec = await again.open();
      const tail = rec.records.reduce<number>((n, r) => n + pack(r).length, 0);
      // Half the snapshot's size in log starts a compaction; what is appended while it runs
      // (one at a time) comes on top. Format 2 snapshots are a third of the size of the
      // records they hold, so that lag alone can reach the snapshot's size.
      t.ok(
        tail <= 2 * bytes,
        `recovery replays ${rec.records.length} of ${d.seq} records (${tail} bytes of log after a snapshot of ${bytes})`,
      );
      t.equal(replayedState(rec.snapshot, rec.records), live, 'snapshot + tail = the live state');
      await again.close();
    },
  );

  t.test('a fenced leader cannot compact: its thread is refused by the epoch', async (t) => {
    const keys = testCluster('fencedsnap');
    const redis = redisClient(t);
    dropAtTeardown(t, redis, keys);
    const store = new RedisStore({
      redis: SHARED_REDIS_URL,
      prefix: keys.prefix,
      replayOptions: CORE_OPTIONS,
    });
    const fatal: Error[] = [];
    store.onFatal((err) => fatal.push(err));
    await store.open();
    const d = new CoreDriver(store);
    d.scripted(10);
    t.equal(await durable(store, d.seq), undefined);
    // A successor takes over between the last batch and the compaction.
    await redis.incr(keys.epoch);
    await store.compactNow();
    t.equal(await redis.exists(keys.snapshot), 0, 'no snapshot was made current');
    t.ok(await redis.xlen(keys.log), 'the log is not trimmed');
    t.equal(fatal.length, 1, 'the store learnt it is fenced');
    t.equal(codeOf(fatal[0]), 'FENCED');
    await store.close();
  });
}

if (requireTool('redis-server')) {
  t.test(
    'a batch Redis refuses (out of memory): fatal, ENGINE_UNAVAILABLE, and nothing after it is logged',
    async (t) => {
      const server = await startRedisServer(t, ['--maxmemory', '2mb']);
      const admin = redisClient(t, server.url);
      const keys = testCluster('oom');
      const log = captureLog();
      const make = (): RedisStore =>
        new RedisStore({ redis: server.url, prefix: keys.prefix, leaseMs: 10_000, logger: log });
      const store = make();
      const fatal: Error[] = [];
      store.onFatal((err) => fatal.push(err));
      await store.open();
      const before = [1, 2, 3].map((n) => ({ type: 'gc', now: n }));
      for (const r of before) store.append(r);
      t.equal(await durable(store, 3), undefined, 'written while Redis has memory');
      // Redis out of memory (noeviction: it refuses writes from then on). Filling it to the
      // limit is not a stable state (a refused command's own buffer is what tips it over), so
      // the limit is lowered under what it holds instead.
      await admin.set('filler', 'f'.repeat(256 * 1024));
      await admin.config('SET', 'maxmemory', '100kb');
      await t.rejects(admin.set('probe', '1'), /OOM/, 'Redis refuses writes now');
      // Writes held for a moment, so both batches below are sent before Redis answers the
      // first. The store's own connection lifts the limit between them (Redis runs a client's
      // commands in order): the second batch would fit, but must not land over the hole.
      await admin.client('PAUSE', 300, 'WRITE');
      const refused = store.append({ type: 'gc', now: 4, pad: 'p'.repeat(1000) });
      await new Promise((r) => setImmediate(r));
      const freed = store.connection!.config('SET', 'maxmemory', '0');
      const behind = store.append({ type: 'gc', now: 5 });
      await new Promise((r) => setImmediate(r));
      const [errRefused, errBehind] = await Promise.all([
        durable(store, refused),
        durable(store, behind),
      ]);
      await freed;
      t.equal(codeOf(errRefused), 'ENGINE_UNAVAILABLE', 'the refused batch: ENGINE_UNAVAILABLE');
      t.match(errRefused?.message, /OOM|out of memory/, 'the message says Redis is out of memory');
      t.equal(codeOf(errBehind), 'ENGINE_UNAVAILABLE', 'the batch behind it is not acknowledged');
      for (let i = 0; i < 5 && fatal.length === 0; i++) await new Promise((r) => setImmediate(r));
      t.equal(fatal.length, 1, 'fatal for the store, once: the leader steps down');
      t.equal(codeOf(fatal[0]), 'ENGINE_UNAVAILABLE');
      t.throws(() => store.prepare({ type: 'gc', now: 6 }), 'no new command is accepted');
      t.equal(store.durableSeq, 3, 'durableSeq stayed at what was written');
      await store.close();
      await admin.del(keys.lease);
      const again = make();
      const rec = await again.open();
      t.same([...rec.records], before, 'the log: exactly the records written before the refusal');
      await again.close();
    },
  );

  t.test(
    'waitReplicas: too few replicas is waited out (one warning), then acknowledged; fatal only after giveUpMs',
    async (t) => {
      // Replicas sync from the master's disk at once (no diskless delay).
      const master = await startRedisServer(t, ['--repl-diskless-sync', 'no']);
      const keys = testCluster('wait');
      const log = captureLog();
      const store = new RedisStore({
        redis: master.url,
        prefix: keys.prefix,
        leaseMs: 10_000,
        waitReplicas: { count: 1, timeoutMs: 50, giveUpMs: 60_000 },
        logger: log,
      });
      const fatal: Error[] = [];
      store.onFatal((err) => fatal.push(err));
      await store.open();
      const results: (Error | undefined)[] = [];
      let seq = 0;
      for (let i = 0; i < 20; i++) {
        seq = store.append({ type: 'gc', now: i });
        store.onDurable(seq, (err) => results.push(err));
        await sleep(20);
      }
      await sleep(300);
      t.same(results, [], 'nothing acknowledged and nothing failed while no replica has it');
      const warnings = log.lines.filter((l) => /too few Redis replicas/.test(l.msg));
      t.equal(warnings.length, 1, 'one warning for the outage, not one per WAIT');
      const admin = redisClient(t, master.url);
      t.equal(await admin.xlen(keys.log), 20, 'the writes are on the master meanwhile');
      const replica = await startRedisServer(t, ['--replicaof', '127.0.0.1', String(master.port)]);
      t.equal(await durable(store, seq), undefined, 'a replica attached: acknowledged');
      t.equal(results.length, 20);
      t.ok(
        results.every((e) => e === undefined),
        'every waiter acknowledged, none failed',
      );
      t.ok(
        log.lines.some((l) => /acknowledgements resume/.test(l.msg)),
        'and the end of the outage is said',
      );
      const replicaClient = redisClient(t, replica.url);
      t.equal(await replicaClient.xlen(keys.log), 20, 'the replica has the log');
      seq = store.append({ type: 'gc', now: 100 });
      t.equal(await durable(store, seq), undefined, 'later writes are acknowledged as they come');
      t.same(fatal, []);
      await store.close();

      // No replica at all, for longer than giveUpMs: fatal.
      await replica.kill();
      await admin.del(keys.lease);
      const short = new RedisStore({
        redis: master.url,
        prefix: keys.prefix,
        leaseMs: 10_000,
        waitReplicas: { count: 1, timeoutMs: 50, giveUpMs: 600 },
      });
      const fatal2: Error[] = [];
      short.onFatal((err) => fatal2.push(err));
      await short.open();
      const t0 = performance.now();
      const err = await durable(short, short.append({ type: 'gc', now: 200 }));
      const waited = performance.now() - t0;
      t.equal(codeOf(err), 'ENGINE_UNAVAILABLE', 'the waiter fails with ENGINE_UNAVAILABLE');
      t.ok(waited >= 550, `after giveUpMs (${Math.round(waited)} ms), not at the first short WAIT`);
      t.match(err?.message, /only 0 of 1 Redis replicas/);
      t.equal(fatal2.length, 1, 'fatal: the leader steps down');
      await short.close();
      await admin.del(...allRedisKeys(keys));
    },
  );
}
