import t from 'tap';
import { Producer, Worker, type Task } from '../../client/index.js';
import { startCluster } from '../helpers/cluster.js';
import { hubProcess } from '../helpers/hub-process.js';
import { requireTool } from '../helpers/requires.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * A flow survives the death of its hub mid-way (docs/flows.md): the parents still wait, the
 * results of the children that completed before the crash still reach them, and the child
 * that was running when the hub died runs again. Real hub processes, SIGKILLed: on the WAL,
 * and on the Redis engine (the leader killed, an edge taking over).
 */

const reconnect = { initialDelayMs: 20, maxDelayMs: 200 };

/** root (reports) <- [mid (fetch) <- [done (fetch), slow (reports)], side (fetch)] */
const FLOW = {
  queue: 'reports',
  payload: 'root',
  children: [
    {
      queue: 'fetch',
      name: 'mid',
      payload: 'mid',
      children: [
        { queue: 'fetch', name: 'done', payload: 'done' },
        { queue: 'reports', name: 'slow', payload: 'slow' },
      ],
    },
    { queue: 'fetch', name: 'side', payload: 'side' },
  ],
};

/**
 * Before the crash: every leaf but `slow` completes (`slow` hangs, held by a worker when the
 * hub dies). After: workers that finish everything; the root's result shows what each
 * parent received.
 */
const before = (task: Task) =>
  task.payload === 'slow' ? new Promise(() => undefined) : `${String(task.payload)}@1`;
const after = (ran: string[]) => (task: Task) => {
  ran.push(String(task.payload));
  if (task.children.length) return task.childrenValues();
  return `${String(task.payload)}@2`;
};

const EXPECTED = { mid: { done: 'done@1', slow: 'slow@2' }, side: 'side@1' };

t.test('WAL: a hub SIGKILLed mid-flow finishes the flow after restart', async (t) => {
  const dir = tempDir(t, 'sb-flow-restart-');
  const h = await hubProcess(t, { preset: 'development', dataDir: dir, args: ['--store', 'wal'] });
  let hub = await h.start();
  const producer = new Producer({ url: h.wsUrl, reconnect });
  producer.on('error', () => undefined);
  const first = [
    new Worker({ url: h.wsUrl, queues: ['fetch', 'reports'], concurrency: 4, reconnect }, before),
  ];
  for (const w of first) w.on('error', () => undefined);
  await Promise.all(first.map((w) => w.start()));
  const flow = await producer.submitFlow(FLOW);
  const [mid, side] = flow.tree.children;
  const [done] = mid!.children;
  t.equal(await producer.result(done!.id, { timeoutMs: 10_000 }), 'done@1');
  t.equal(await producer.result(side!.id, { timeoutMs: 10_000 }), 'side@1');
  // The old worker leaves without a verdict on `slow` (its handler never ends): after the
  // restart the lease it held is lost and `slow` must run again.
  await Promise.all(first.map((w) => w.close({ timeoutMs: 0 })));
  hub.proc.kill('SIGKILL');
  await hub.exited;
  hub = await h.start();
  const ran: string[] = [];
  const second = new Worker(
    { url: h.wsUrl, queues: ['fetch', 'reports'], concurrency: 4, reconnect },
    after(ran),
  );
  second.on('error', () => undefined);
  t.teardown(async () => {
    await second.close();
    await producer.close();
  });
  await second.start();
  const result = await producer.result(flow.id, { timeoutMs: 20_000 });
  t.same(result, EXPECTED, 'results from before the crash reached their parents');
  t.same(ran, ['slow', 'mid', 'root'], 'only what had not completed ran after the restart');
});

if (requireTool('redis')) {
  t.test('Redis engine: the leader killed mid-flow, the new leader finishes it', async (t) => {
    const c = await startCluster(t, 2);
    await c.start(0);
    await c.start(1);
    const lead = await c.leader();
    const edge = 1 - lead;
    const urls = [c.hubs[edge]!.wsUrl, c.hubs[lead]!.wsUrl];
    const producer = new Producer({ url: urls, reconnect });
    producer.on('error', () => undefined);
    const first = new Worker(
      { url: c.hubs[lead]!.wsUrl, queues: ['fetch', 'reports'], concurrency: 4 },
      before,
    );
    first.on('error', () => undefined);
    await first.start();
    const flow = await producer.submitFlow(FLOW);
    const [mid, side] = flow.tree.children;
    t.equal(await producer.result(mid!.children[0]!.id, { timeoutMs: 10_000 }), 'done@1');
    t.equal(await producer.result(side!.id, { timeoutMs: 10_000 }), 'side@1');
    await first.close({ timeoutMs: 0 });
    c.children[lead]!.proc.kill('SIGKILL');
    await c.children[lead]!.exited;
    t.equal(await c.leader(20_000), edge, 'the edge took over');
    const ran: string[] = [];
    const second = new Worker(
      { url: c.hubs[edge]!.wsUrl, queues: ['fetch', 'reports'], concurrency: 4, reconnect },
      after(ran),
    );
    second.on('error', () => undefined);
    t.teardown(async () => {
      await second.close();
      await producer.close();
    });
    await second.start();
    const result = await producer.result(flow.id, { timeoutMs: 20_000 });
    t.same(result, EXPECTED);
    t.same(ran, ['slow', 'mid', 'root']);
  });
}
