import t from 'tap';
import { Producer, type BusMessage } from '../../index.js';
import { requireTool } from '../helpers/requires.js';
import { startCluster } from '../helpers/cluster.js';
import { sleep, until } from '../helpers/wait.js';

if (requireTool('redis')) {
  t.test(
    'the message bus across hubs: a message published on one hub reaches subscribers on the other; at-least-once survives the leader’s SIGKILL',
    async (t) => {
      const c = await startCluster(t, 2);
      await c.start(0);
      await c.start(1);
      const lead = await c.leader();
      const edge = 1 - lead;
      const urls = [c.hubs[edge]!.wsUrl, c.hubs[lead]!.wsUrl];
      const reconnect = { initialDelayMs: 20, maxDelayMs: 200 };
      // The subscriber on the edge, the publisher on the leader.
      const sub = new Producer({ url: urls, reconnect });
      const pub = new Producer({ url: [c.hubs[lead]!.wsUrl, c.hubs[edge]!.wsUrl], reconnect });
      sub.on('error', () => undefined);
      pub.on('error', () => undefined);
      t.teardown(async () => {
        await sub.close();
        await pub.close();
      });
      const plain: unknown[] = [];
      await sub.subscribe('cross.plain', (m) => void plain.push(m.data));
      const stored = new Map<string, number>();
      await sub.subscribe(
        'cross.stored',
        async (m: BusMessage) => void stored.set(m.id!, (stored.get(m.id!) ?? 0) + 1),
        { durable: 'across' },
      );
      const r = await pub.publish('cross.plain', 'hello from the leader');
      t.equal(r.subscriptions, 1);
      await until(() => plain.length === 1);
      t.same(plain, ['hello from the leader'], 'at-most-once crosses hubs');
      t.equal(
        await sub.request('cross.none', 1).catch((e: { code: string }) => e.code),
        'NO_RESPONDERS',
      );

      const acked: string[] = [];
      for (let i = 0; i < 100; i++)
        acked.push((await pub.publish('cross.stored', { i }, { qos: 'at-least-once' })).id!);
      c.children[lead]!.proc.kill('SIGKILL');
      // Published meanwhile, through whichever hub answers.
      for (let i = 100; i < 150; i++) {
        for (;;) {
          try {
            acked.push((await pub.publish('cross.stored', { i }, { qos: 'at-least-once' })).id!);
            break;
          } catch {
            await sleep(50);
          }
        }
      }
      await until(() => acked.every((id) => stored.has(id)), 30_000);
      t.equal(
        acked.filter((id) => stored.has(id)).length,
        150,
        'every acknowledged message reached the durable subscriber, across the failover',
      );
    },
  );
}
