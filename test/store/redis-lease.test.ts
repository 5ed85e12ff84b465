import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { RedisLease, RedisStore, stopLeaseThread, type Store } from '../../server/store/index.js';
import { requireTool } from '../helpers/requires.js';
import {
  SHARED_REDIS_URL,
  dropAtTeardown,
  redisClient,
  startRedisServer,
  testCluster,
} from '../helpers/redis.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const durable = (store: Store, seq: number): Promise<Error | undefined> =>
  new Promise((resolve) => store.onDurable(seq, (err) => resolve(err)));
const STORE_MODULE = fileURLToPath(new URL('../../dist/server/store/index.js', import.meta.url));

if (requireTool('redis', 'redis-server')) {
  t.teardown(() => stopLeaseThread());
  t.test('two contenders: one acquires, the other learns who holds it', async (t) => {
    const keys = testCluster('lease');
    const redis = redisClient(t);
    dropAtTeardown(t, redis, keys);
    const [a, b] = await Promise.all([
      RedisLease.tryAcquire(redis, keys, 'hub-a', 2000),
      RedisLease.tryAcquire(redis, keys, 'hub-b', 2000),
    ]);
    const winners = [a, b].filter((r) => r.acquired);
    t.equal(winners.length, 1, 'exactly one of two simultaneous contenders acquires');
    const loser = [a, b].find((r) => !r.acquired)!;
    const winner = winners[0]!;
    if (!winner.acquired || loser.acquired) throw new Error('unreachable');
    t.equal(loser.holder, winner.lease.hubId, 'the loser is told who holds the lease');
    t.ok(loser.expiresInMs > 0 && loser.expiresInMs <= 2000, 'and when it expires');
    t.equal(winner.lease.epoch, 1, 'the first acquisition of a cluster is epoch 1');
    t.ok(winner.lease.held);
    t.equal(await winner.lease.release(), true, 'released while ours');
    t.equal(await redis.exists(keys.lease), 0, 'the key is gone: a successor need not wait');

    const epochs = [winner.lease.epoch];
    for (const hub of ['hub-b', 'hub-a', 'hub-c']) {
      const got = await RedisLease.tryAcquire(redis, keys, hub, 2000);
      if (!got.acquired) throw new Error(`${hub} did not acquire a free lease`);
      epochs.push(got.lease.epoch);
      await got.lease.release();
    }
    t.same(epochs, [1, 2, 3, 4], 'the epoch rises by one on every acquisition');
  });

  t.test('a lease renews itself; a stopped one expires and is lost to a successor', async (t) => {
    const keys = testCluster('lease');
    const redis = redisClient(t);
    dropAtTeardown(t, redis, keys);
    const got = await RedisLease.tryAcquire(redis, keys, 'hub-a', 300);
    if (!got.acquired) throw new Error('not acquired');
    const a = got.lease;
    const lost: string[] = [];
    a.onLost((r) => lost.push(r));
    await sleep(900);
    t.ok(a.held, 'held after three TTLs: it renewed itself');
    t.same(lost, []);
    const early = await RedisLease.tryAcquire(redis, keys, 'hub-b', 300);
    t.equal(early.acquired, false, 'nobody else can take a renewed lease');
    // As if hub-a froze: it stops renewing (and, frozen, cannot notice either).
    a.stop();
    await sleep(400);
    const b = await RedisLease.tryAcquire(redis, keys, 'hub-b', 300);
    if (!b.acquired) throw new Error('the expired lease was not free');
    t.equal(b.lease.epoch, a.epoch + 1, 'the successor holds a higher epoch');
    t.equal(await a.release(), false, 'the old holder cannot release what is no longer its own');
    t.equal(await redis.get(keys.lease), 'hub-b', "the successor's lease is untouched");
    await b.lease.release();
  });

  /** Keep this thread's event loop from turning for `ms`, as a large recovery does. */
  const blockFor = (ms: number): void => {
    const end = Date.now() + ms;
    while (Date.now() < end);
  };
  /** Until the renewal thread has started, renewals are the main thread's. */
  const threadStarted = async (redis: ReturnType<typeof redisClient>): Promise<void> => {
    for (let i = 0; i < 400; i++) {
      const clients = await redis.client('LIST');
      if (String(clients).includes(`name=switchboard:lease-renewal:${process.pid} `)) return;
      await sleep(50);
    }
    throw new Error('the lease renewal thread never connected');
  };

  t.test(
    'a main thread busy for longer than the lease keeps it: the renewal thread renews meanwhile',
    async (t) => {
      const keys = testCluster('lease');
      const redis = redisClient(t);
      dropAtTeardown(t, redis, keys);
      // TTLs of a second, not less: the shared Redis is also busy with other suites' snapshots.
      const got = await RedisLease.tryAcquire(redis, keys, 'hub-a', 1000);
      if (!got.acquired) throw new Error('not acquired');
      const lost: string[] = [];
      got.lease.onLost((r) => lost.push(r));
      await threadStarted(redis);
      await sleep(200);
      blockFor(3500); // three and a half TTLs without a turn of this event loop
      await sleep(50);
      t.same(lost, [], 'not lost');
      t.ok(got.lease.held, 'still held after 3.5 s of a blocked event loop (TTL 1 s)');
      t.equal(await redis.get(keys.lease), 'hub-a', 'and Redis agrees: nobody could take it');
      await got.lease.release();
    },
  );

  t.test('a main thread stalled past the stall limit loses the lease to a successor', async (t) => {
    const keys = testCluster('lease');
    const redis = redisClient(t);
    dropAtTeardown(t, redis, keys);
    const got = await RedisLease.tryAcquire(redis, keys, 'hub-a', 1000, { stallMs: 1500 });
    if (!got.acquired) throw new Error('not acquired');
    const lost: string[] = [];
    got.lease.onLost((r) => lost.push(r));
    await threadStarted(redis);
    await sleep(200);
    blockFor(4000); // past the 1.5 s stall limit, and the 1 s TTL after it
    t.equal(await redis.exists(keys.lease), 0, 'the renewal thread let the lease expire');
    await sleep(50);
    t.same(lost, ['expired'], 'the hub learns it lost the lease on its next turn');
    t.notOk(got.lease.held);
  });

  t.test('a renewal refused (another hub holds the lease) loses it, once', async (t) => {
    const keys = testCluster('lease');
    const redis = redisClient(t);
    dropAtTeardown(t, redis, keys);
    const got = await RedisLease.tryAcquire(redis, keys, 'hub-a', 300);
    if (!got.acquired) throw new Error('not acquired');
    const lost: string[] = [];
    got.lease.onLost((r) => lost.push(r));
    await redis.set(keys.lease, 'hub-x', 'PX', 5000);
    await redis.incr(keys.epoch);
    await sleep(400);
    t.same(lost, ['refused'], 'onLost fired once, with the reason');
    t.notOk(got.lease.held);
  });

  t.test(
    'a leader that still believes it leads is fenced by Redis: nothing of it reaches the log',
    async (t) => {
      const keys = testCluster('fence');
      const redis = redisClient(t);
      dropAtTeardown(t, redis, keys);
      // A long lease: its holder will not notice the takeover by itself before it writes.
      const a = new RedisStore({
        redis: SHARED_REDIS_URL,
        prefix: keys.prefix,
        hubId: 'a',
        leaseMs: 20_000,
      });
      const fatal: Error[] = [];
      a.onFatal((err) => fatal.push(err));
      await a.open();
      for (let i = 0; i < 20; i++) a.append({ type: 'gc', now: i });
      t.equal(await durable(a, 20), undefined, "a's first 20 records are durable");
      const entries = await redis.xlen(keys.log);
      // Its lease ends behind its back (as after a pause past the TTL) and b takes over.
      await redis.del(keys.lease);
      const b = new RedisStore({
        redis: SHARED_REDIS_URL,
        prefix: keys.prefix,
        hubId: 'b',
        leaseMs: 2000,
      });
      const recovered = [...(await b.open()).records];
      t.equal(recovered.length, 20, 'the successor loads every record a reported durable');
      t.equal(b.epoch, a.epoch + 1);
      const stale = { type: 'gc', now: 99, stale: true };
      a.prepare!(stale);
      t.pass('a still accepts locally: its lease looks valid to it');
      const seq = a.append(stale);
      const err = await durable(a, seq);
      t.equal(
        (err as { code?: string } | undefined)?.code,
        'FENCED',
        'its next append is refused FENCED',
      );
      t.equal(fatal.length, 1, 'onFatal fired once');
      t.equal((fatal[0] as { code?: string }).code, 'FENCED');
      t.match(fatal[0]!.message, /another hub took over/);
      t.equal(await redis.xlen(keys.log), entries, 'no entry of the fenced leader reached the log');
      t.throws(
        () => a.prepare!({ type: 'gc', now: 100 }),
        { code: 'FENCED' },
        'and it accepts nothing more',
      );
      await a.close();
      t.equal(
        await redis.get(keys.lease),
        'b',
        "closing the fenced store leaves the successor's lease",
      );
      await b.close();
    },
  );

  t.test(
    'SIGSTOP past the lease, SIGCONT: the old leader stops writing, nothing of it is logged after the takeover',
    async (t) => {
      const keys = testCluster('sigstop');
      const redis = redisClient(t);
      dropAtTeardown(t, redis, keys);
      // The leader runs in a process of its own: it appends a record every 2 ms and prints
      // each sequence number reported durable, and how its store ended.
      const script = `
        const { RedisStore } = await import(${JSON.stringify(STORE_MODULE)});
        const store = new RedisStore({ redis: ${JSON.stringify(SHARED_REDIS_URL)}, prefix: ${JSON.stringify(keys.prefix)}, hubId: 'old', leaseMs: 300 });
        store.onFatal((err) => { console.log('FATAL ' + err.code); setTimeout(() => process.exit(0), 50); });
        await store.open();
        console.log('OPEN ' + store.epoch);
        let n = 0;
        setInterval(() => {
          try { store.prepare({ type: 'gc', now: n }); } catch (err) { console.log('REFUSED ' + err.code); return; }
          const seq = store.append({ type: 'gc', now: n++, by: 'old' });
          store.onDurable(seq, (err) => { if (!err) console.log('DURABLE ' + seq); });
        }, 2);`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      t.teardown(() => {
        child.kill('SIGKILL');
      });
      const lines: string[] = [];
      let buffered = '';
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        lines.push(...parts);
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      while (!lines.some((l) => l.startsWith('DURABLE 50'))) await sleep(10);
      child.kill('SIGSTOP');
      const durableBefore = Math.max(
        ...lines.filter((l) => l.startsWith('DURABLE ')).map((l) => Number(l.slice(8))),
      );
      await sleep(700);
      const next = new RedisStore({
        redis: SHARED_REDIS_URL,
        prefix: keys.prefix,
        hubId: 'new',
        leaseMs: 2000,
      });
      const recovered = [...(await next.open()).records] as { by?: string }[];
      t.ok(
        recovered.length >= durableBefore,
        `the successor loaded ${recovered.length} records; the old leader had reported ${durableBefore} durable`,
      );
      const logAtTakeover = await redis.xlen(keys.log);
      child.kill('SIGCONT');
      await exited;
      const fatal = lines.find((l) => l.startsWith('FATAL '));
      t.equal(fatal, 'FATAL FENCED', 'the resumed leader stops with FENCED');
      const durableAfter = lines.filter(
        (l) => l.startsWith('DURABLE ') && Number(l.slice(8)) > recovered.length,
      );
      t.same(durableAfter, [], 'it reports nothing durable beyond what the successor loaded');
      t.equal(
        await redis.xlen(keys.log),
        logAtTakeover,
        'no write of it reached the log after the takeover',
      );
      const seq = next.append({ type: 'gc', now: 1, by: 'new' });
      t.equal(await durable(next, seq), undefined, 'the successor writes on');
      await next.close();
    },
  );

  t.test(
    'Redis unreachable past the lease: the leader loses it and stops, with FENCED',
    async (t) => {
      const server = await startRedisServer(t);
      const keys = testCluster('outage');
      const store = new RedisStore({
        redis: server.url,
        prefix: keys.prefix,
        hubId: 'a',
        leaseMs: 300,
      });
      const fatal: Error[] = [];
      store.onFatal((err) => fatal.push(err));
      await store.open();
      const seq = store.append({ type: 'gc', now: 1 });
      t.equal(await durable(store, seq), undefined);
      await server.kill();
      await sleep(600);
      t.equal(fatal.length, 1, 'onFatal fired once the deadline passed with no renewal');
      t.equal((fatal[0] as { code?: string } | undefined)?.code, 'FENCED');
      t.match(fatal[0]?.message, /expired before it could be renewed/);
      await server.start();
      await store.close();
      let again: RedisStore | undefined;
      for (let i = 0; i < 40 && !again; i++) {
        // The old lease survives in the AOF until its TTL passes.
        const next = new RedisStore({
          redis: server.url,
          prefix: keys.prefix,
          hubId: 'b',
          leaseMs: 300,
        });
        try {
          await next.open();
          again = next;
        } catch (err) {
          if ((err as { code?: string }).code !== 'ENGINE_LEASE_HELD') throw err;
          await sleep(50);
        }
      }
      if (!again) throw new Error('no successor could take the lease');
      t.equal(again.epoch, 2, 'a successor takes over once Redis is back');
      await again.close();
    },
  );
}
