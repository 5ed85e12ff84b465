import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { requireTool } from '../helpers/requires.js';
import { startCluster } from '../helpers/cluster.js';
import { startRedisServer } from '../helpers/redis.js';

const PASSWORD = 'RedisPwMarker-5c1f';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (requireTool('redis-server')) {
  t.test(
    'the Redis password in redis.url never reaches the logs, also when Redis goes away',
    async (t) => {
      // One argument per word: redis-server joins them into the config line `user app on ...`.
      const redis = await startRedisServer(t, [
        '--user',
        'app',
        'on',
        `>${PASSWORD}`,
        '~*',
        '&*',
        '+@all',
      ]);
      const url = `redis://app:${PASSWORD}@127.0.0.1:${redis.port}`;
      const c = await startCluster(
        t,
        2,
        { SWITCHBOARD_LOG_LEVEL: 'trace', SWITCHBOARD_LOG_PRETTY: 'false' },
        url,
      );
      await c.start(0);
      await c.start(1);
      const lead = await c.leader();
      const worker = new Worker({ url: c.hubs[1 - lead]!.wsUrl, queues: ['q'] }, async () => 'ok');
      await worker.start();
      const producer = new Producer({ url: c.hubs[lead]!.wsUrl });
      t.teardown(async () => {
        await producer.close();
        await worker.close({ timeoutMs: 100 });
      });
      const { id } = await producer.submit('q', 1);
      t.equal(await producer.result(id), 'ok', 'the cluster works with the password');
      await redis.kill();
      await sleep(1500);
      await redis.start();
      await sleep(1500);
      const out = c.children.map((ch) => ch!.output()).join('\n');
      t.match(out, /Redis/, 'the hubs did log about Redis');
      t.notMatch(out, PASSWORD, 'but never its password');
    },
  );
}
