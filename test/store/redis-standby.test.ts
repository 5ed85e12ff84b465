import t from 'tap';
import { Packr } from 'msgpackr';
import { Core } from '../../server/core/index.js';
import {
  RedisStandby,
  RedisStore,
  stopCompactionThread,
  stopLeaseThread,
  type Store,
} from '../../server/store/index.js';
import { decodeSnapshot, encodeSnapshot } from '../../server/store/redis/redis-snapshot-codec.js';
import { requireTool } from '../helpers/requires.js';
import {
  SHARED_REDIS_URL,
  dropAtTeardown,
  redisClient,
  startRedisServer,
  testCluster,
} from '../helpers/redis.js';
import { CORE_OPTIONS, CoreDriver, coreState, replayedState } from './store-contract.js';

t.teardown(() => Promise.all([stopCompactionThread(), stopLeaseThread()]));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const durable = (store: Store, seq: number): Promise<Error | undefined> =>
  new Promise((resolve) => store.onDurable(seq, (err) => resolve(err)));

/** A core with tasks of many payload shapes (more than the 64 record ids of one stream). */
function sampleCore(): Core {
  const d = new CoreDriver({ append: () => 0 } as unknown as Store);
  for (let i = 0; i < 150; i++)
    d.core.apply({
      type: 'task.submit',
      now: 1000 + i,
      tasks: [
        {
          id: `t${i}`,
          spec: {
            queue: `q${i % 3}`,
            payload: { [`k${i % 80}`]: i, nested: [{ a: i }, { b: [i, 'x'] }] },
          },
        },
      ],
    });
  d.core.takeEffects();
  return d.core;
}

t.test('snapshot format 2 (records) decodes to the same state; format 1 is still read', (t) => {
  const core = sampleCore();
  const snap = core.snapshot();
  const v2 = encodeSnapshot(snap);
  const v1 = Buffer.from(new Packr({ useRecords: false, moreTypes: false }).pack(snap));
  t.equal(v2.subarray(0, 4).toString(), 'SBRS', 'format 2 says what it is');
  t.ok(v2.length < v1.length, `smaller (${v2.length} bytes against ${v1.length})`);
  const want = coreState(core);
  t.equal(coreState(Core.restore(decodeSnapshot(v2), CORE_OPTIONS)), want, 'format 2');
  t.equal(coreState(Core.restore(decodeSnapshot(v1), CORE_OPTIONS)), want, 'format 1');
  t.same(encodeSnapshot(snap), v2, 'each encoding stands alone: the same bytes twice');
  // A key msgpackr renames on decoding (no prototype is ever set from data): as before.
  const odd = { v: 1, tasks: [{ payload: JSON.parse('{"__proto__": 1, "k": 2}') as object }] };
  const oddV1 = Buffer.from(new Packr({ useRecords: false, moreTypes: false }).pack(odd));
  t.same(
    decodeSnapshot(encodeSnapshot(odd)),
    decodeSnapshot(oddV1),
    'odd keys decode as in format 1',
  );
  t.throws(
    () => decodeSnapshot(Buffer.from('SBRS\x03xxxx', 'latin1')),
    /newer than this hub reads/,
    'a newer format is refused with a message, not misread',
  );
  t.end();
});

if (requireTool('redis')) {
  t.test(
    'a warm standby hands its core to the next leader, which replays only the log after it',
    async (t) => {
      const keys = testCluster('standby');
      const admin = redisClient(t);
      dropAtTeardown(t, admin, keys);
      const a = new RedisStore({
        redis: SHARED_REDIS_URL,
        prefix: keys.prefix,
        leaseMs: 2000,
        replayOptions: CORE_OPTIONS,
      });
      await a.open();
      const d = new CoreDriver(a);
      d.register('w1', 2);
      for (let i = 0; i < 50; i++) d.submit();
      await durable(a, d.seq);
      await a.compactNow();
      for (let i = 0; i < 20; i++) d.submit();
      await durable(a, d.seq);

      const standby = new RedisStandby({
        redis: SHARED_REDIS_URL,
        keys,
        hubId: 'standby-test',
        coreOptions: CORE_OPTIONS,
      });
      standby.start();
      t.teardown(() => standby.stop());
      for (let i = 0; i < 100 && standby.applied < a.baseSeq + d.seq; i++) await sleep(20);
      t.equal(standby.applied, a.baseSeq + d.seq, 'the standby follows the log to its end');
      // More while it follows: some it applies, the rest the next leader reads from the log.
      for (let i = 0; i < 10; i++) d.submit();
      d.finish(0, 'complete');
      await durable(a, d.seq);
      await a.close();

      const b = new RedisStore({
        redis: SHARED_REDIS_URL,
        prefix: keys.prefix,
        leaseMs: 2000,
        replayOptions: CORE_OPTIONS,
        standby,
      });
      const recovered = await b.open();
      t.teardown(() => b.close());
      t.ok(recovered.core, 'the store hands over the standby core');
      t.ok(
        [...recovered.records].length < d.seq,
        `only the log after the standby is replayed (${[...recovered.records].length} of ${d.seq} records)`,
      );
      const core = recovered.core!;
      for (const r of recovered.records) core.apply(r as never);
      core.takeEffects();
      t.equal(coreState(core), coreState(d.core), 'the same state as the leader had');
      t.equal(
        coreState(core),
        replayedState(undefined, d.journal),
        'and as a replay of the whole log',
      );
    },
  );

  t.test('a standby that has not loaded yet is not used: the load is cold', async (t) => {
    const keys = testCluster('standby-cold');
    const admin = redisClient(t);
    dropAtTeardown(t, admin, keys);
    const a = new RedisStore({ redis: SHARED_REDIS_URL, prefix: keys.prefix, leaseMs: 2000 });
    await a.open();
    const d = new CoreDriver(a);
    for (let i = 0; i < 5; i++) d.submit();
    await durable(a, d.seq);
    await a.close();
    // Never started: nothing to hand over.
    const standby = new RedisStandby({ redis: SHARED_REDIS_URL, keys, hubId: 'never' });
    const b = new RedisStore({ redis: SHARED_REDIS_URL, prefix: keys.prefix, standby });
    const recovered = await b.open();
    t.teardown(() => b.close());
    t.equal(recovered.core, undefined, 'no core handed over');
    t.equal(replayedState(recovered.snapshot, recovered.records), coreState(d.core));
  });

  t.test(
    'a takeover takes the standby at once while Redis is away (it does not wait on its connection)',
    async (t) => {
      const redis = await startRedisServer(t);
      const keys = testCluster('standby-away');
      const a = new RedisStore({ redis: redis.url, prefix: keys.prefix, leaseMs: 2000 });
      await a.open();
      const d = new CoreDriver(a);
      for (let i = 0; i < 5; i++) d.submit();
      await durable(a, d.seq);
      const standby = new RedisStandby({
        redis: redis.url,
        keys,
        hubId: 'away',
        coreOptions: CORE_OPTIONS,
      });
      standby.start();
      t.teardown(() => standby.stop());
      for (let i = 0; i < 200 && standby.applied < d.seq; i++) await sleep(20);
      t.equal(standby.applied, d.seq, 'the standby followed the log');
      a.abandon();
      await redis.kill();
      // Its connection is reconnecting now, with its XREAD queued.
      await sleep(500);
      const warm = standby.take();
      t.equal(warm?.covers, d.seq, 'handed over at once, with what it had applied');
      t.equal(warm && coreState(warm.core), coreState(d.core), 'the state the leader had');
      await redis.start();
    },
  );
}
