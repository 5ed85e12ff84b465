import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { requireTool } from '../helpers/requires.js';
import { startCluster } from '../helpers/cluster.js';
import { startRedisServer } from '../helpers/redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (requireTool('redis-server')) {
  t.test(
    'Redis restarted under a leading hub: submits refused with ENGINE_UNAVAILABLE meanwhile, /ready says so, workers stay connected, nothing acknowledged is lost',
    async (t) => {
      const redis = await startRedisServer(t);
      // A lease longer than the outage: the leader keeps leading across it.
      const c = await startCluster(t, 1, { SWITCHBOARD_REDIS_LEASE_MS: '8000' }, redis.url);
      await c.start(0);
      const hub = c.hubs[0]!;
      const producer = new Producer({ url: hub.wsUrl });
      const { ids } = await producer.submitMany(
        Array.from({ length: 100 }, (_, i) => ({ queue: 'later', payload: i })),
      );
      t.equal(ids.length, 100, '100 submits acknowledged before the outage');

      // Connected through the outage; the tasks above wait for a worker started after it.
      let disconnects = 0;
      const bystander = new Worker({ url: hub.wsUrl, queues: ['other'] }, async () => null);
      await bystander.start();
      bystander.on('status', (s: { type: string }) => {
        if (s.type === 'disconnected') disconnects++;
      });
      const worker = new Worker(
        { url: hub.wsUrl, queues: ['later'], concurrency: 8 },
        async (task) => task.payload,
      );
      t.teardown(async () => {
        await producer.close();
        await worker.close({ timeoutMs: 100 });
        await bystander.close({ timeoutMs: 100 });
      });

      await redis.kill();
      await sleep(300);
      const ready = await fetch(`${hub.httpUrl}/ready`);
      t.equal(ready.status, 503, '/ready reports not ready while Redis is away');
      t.match(await ready.json(), { status: 'engine-unavailable' });
      const refused = await producer.submit('later', 'during').then(
        () => undefined,
        (err: { code?: string }) => err.code,
      );
      t.equal(refused, 'ENGINE_UNAVAILABLE', 'a submit meanwhile is refused with a clear code');
      const viaHttp = await fetch(`${hub.httpUrl}/api/v1/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ queue: 'later', payload: 'http' }),
      });
      t.equal(viaHttp.status, 503, 'over HTTP too');
      t.match(await viaHttp.json(), { error: { code: 'ENGINE_UNAVAILABLE' } });

      await redis.start();
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        await sleep(100);
        up = (await fetch(`${hub.httpUrl}/ready`)).status === 200;
      }
      t.ok(up, 'ready again once Redis answers, without a restart');
      const { id: after } = await producer.submit('later', 'after');
      await worker.start();
      const results = await Promise.all([...ids, after].map((id) => producer.result(id)));
      t.same(
        results.slice(0, 100),
        Array.from({ length: 100 }, (_, i) => i),
        'every task acknowledged before the outage ran',
      );
      t.equal(results[100], 'after', 'and the one submitted after it');
      t.equal(disconnects, 0, "a worker's connection was kept throughout");
    },
  );
}
