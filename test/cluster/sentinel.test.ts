import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Redis } from 'ioredis';
import { Producer, Worker } from '../../index.js';
import { requireTool } from '../helpers/requires.js';
import { startCluster } from '../helpers/cluster.js';
import { freePort } from '../helpers/free-port.js';
import { startRedisServer } from '../helpers/redis.js';
import { tempDir } from '../helpers/temp-dir.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (requireTool('redis-server')) {
  t.test(
    'through Redis Sentinel: a hub follows a failover of its Redis master, with every task it acknowledged (WAIT for one replica)',
    { timeout: 120_000 },
    async (t) => {
      const master = await startRedisServer(t);
      const replica = await startRedisServer(t, ['--replicaof', '127.0.0.1', String(master.port)]);
      const sentinelPort = await freePort();
      const dir = tempDir(t, 'sb-sentinel-');
      const conf = path.join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `port ${sentinelPort}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor sbm 127.0.0.1 ${master.port} 1`,
          'sentinel down-after-milliseconds sbm 1000',
          'sentinel failover-timeout sbm 10000',
          '',
        ].join('\n'),
      );
      const sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
      t.teardown(() => sentinel.kill('SIGKILL'));
      const probe = new Redis(replica.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
      probe.on('error', () => {});
      t.teardown(() => probe.disconnect());
      // The replica has synced before the hub writes (WAIT 1 needs it).
      for (let i = 0; i < 100; i++) {
        const info = await probe.info('replication');
        if (/master_link_status:up/.test(info)) break;
        await sleep(100);
      }
      const sentinelProbe = new Redis(sentinelPort, '127.0.0.1', { maxRetriesPerRequest: 1 });
      sentinelProbe.on('error', () => {});
      t.teardown(() => sentinelProbe.disconnect());
      for (let i = 0; i < 100; i++) {
        try {
          const addr = (await sentinelProbe.call('SENTINEL', 'get-master-addr-by-name', 'sbm')) as
            string[] | null;
          if (addr && Number(addr[1]) === master.port) break;
        } catch {
          // sentinel still starting
        }
        await sleep(100);
      }

      const c = await startCluster(
        t,
        1,
        {
          SWITCHBOARD_REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`,
          SWITCHBOARD_REDIS_SENTINEL_NAME: 'sbm',
          SWITCHBOARD_REDIS_WAIT_REPLICAS: '1',
          // Longer than the failover: the hub keeps leading across it.
          SWITCHBOARD_REDIS_LEASE_MS: '20000',
          SWITCHBOARD_LOG_PRETTY: 'false',
          SWITCHBOARD_LOG_LEVEL: 'info',
        },
        master.url,
        [],
      );
      await c.start(0);
      const hub = c.hubs[0]!;
      const producer = new Producer({ url: hub.wsUrl });
      t.teardown(() => producer.close());
      const { ids } = await producer.submitMany(
        Array.from({ length: 50 }, (_, i) => ({ queue: 'sentinel', payload: i })),
      );
      t.equal(ids.length, 50, '50 submits acknowledged through the sentinel-discovered master');
      t.ok(
        (await probe.xlen(`{sb:${c.prefix}}:log`)) > 0,
        'the journal is on the replica too (acknowledged after WAIT)',
      );

      // Sentinel learns of replicas from the master's INFO (every 10 s): a failover before
      // it knows one would find "no good slave".
      // Waits are generous: on two loaded cores Sentinel's own timers run late.
      let known = false;
      for (let i = 0; i < 300 && !known; i++) {
        const replicas = (await sentinelProbe.call('SENTINEL', 'replicas', 'sbm')) as string[][];
        known = replicas.some((r) => r[r.indexOf('flags') + 1] === 'slave');
        if (!known) await sleep(100);
      }
      t.ok(known, 'Sentinel knows the replica before the master dies');
      await master.kill();
      // Sentinel notices (1 s) and promotes the replica; the hub's connections follow it.
      let promoted = false;
      for (let i = 0; i < 200 && !promoted; i++) {
        promoted = /role:master/.test(await probe.info('replication').catch(() => ''));
        if (!promoted) await sleep(200);
      }
      t.ok(promoted, 'Sentinel promoted the replica while the old master was down');
      // WAIT 1 needs a replica again: the old master comes back, and Sentinel makes it one.
      await master.start();
      let after: string | undefined;
      for (let i = 0; i < 60 && after === undefined; i++) {
        await sleep(200);
        after = await producer.submit('sentinel', 'after-failover').then(
          (r) => r.id,
          () => undefined,
        );
      }
      t.ok(after, 'a submit is acknowledged again after the failover');
      // Not asserted here: that the promoted replica is still master. With the old master
      // back, Sentinel may fail over again (seen once under load, the old master promoted
      // back); the hub must follow whichever is master, which the results below show.

      const worker = new Worker(
        { url: hub.wsUrl, queues: ['sentinel'], concurrency: 8 },
        async (task) => task.payload,
      );
      await worker.start();
      t.teardown(() => worker.close({ timeoutMs: 100 }));
      const results = await Promise.race([
        Promise.all([...ids, after!].map((id) => producer.result(id))),
        sleep(30_000).then(() => {
          throw new Error(
            `results did not come; the hub said:\n${c.children[0]!.output().slice(-4000)}`,
          );
        }),
      ]);
      t.same(
        results.slice(0, 50),
        Array.from({ length: 50 }, (_, i) => i),
        'every task acknowledged before the failover ran',
      );
      t.equal(results[50], 'after-failover');
    },
  );
}
