import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { startTestHub } from '../helpers/hub.js';
import { maxInWindow, Overlap } from '../helpers/limit-measure.js';
import { sleep, until } from '../helpers/wait.js';

/**
 * Queue limits (docs/rate-limits.md) measured where a user would notice them: at the
 * workers. Receive times and overlaps are taken in the handlers, not read from counters.
 */

async function setLimits(httpUrl: string, queue: string, body: unknown): Promise<Response> {
  return fetch(`${httpUrl}/api/v1/queues/${queue}/limits`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

t.test('100/s for 10 s: no 1 s window at the workers holds more than 101', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(() => producer.close());
  // The queue must exist for REST (a mistyped name is a 404): one task creates it.
  const { id: first } = await producer.submit('rated', -1);
  await until(() => th.hub.core.tasks.get(first)?.state === 'queued');
  const res = await setLimits(th.httpUrl, 'rated', { rate: { count: 100, perMs: 1000 } });
  t.equal(res.status, 200);
  const received: number[] = [];
  const workers = [0, 1, 2].map(
    () =>
      new Worker({ url: th.wsUrl, queues: ['rated'], concurrency: 50 }, async () => {
        received.push(Date.now());
        await sleep(5);
        return null;
      }),
  );
  // 1,500 waiting: more than 10 s of the limit, so the limit and nothing else paces them.
  await producer.submitMany(
    Array.from({ length: 1500 }, (_, i) => ({ queue: 'rated', payload: i })),
  );
  for (const w of workers) await w.start();
  t.teardown(() => Promise.all(workers.map((w) => w.close({ timeoutMs: 100 }))));
  const startedAt = Date.now();
  await sleep(10_000);
  const run = received.filter((at) => at < startedAt + 10_000);
  const peak = maxInWindow(run, 1000);
  t.ok(peak <= 101, `the busiest 1 s window held ${peak} (limit 100, +1 for clock skew)`);
  // Not held more than the limit asks: ~1,000 in 10 s. A wakeup that fires late is not made
  // up (time is not saved up, docs/rate-limits.md), so a loaded machine gets less: 837-881
  // were seen with a load average of 20 on two cores. The bound catches a limiter that holds
  // a queue to a fraction of its rate (a window counted twice, a wakeup lost), not load.
  t.ok(run.length >= 600, `${run.length} started in 10 s (limit 1,000)`);
  t.ok(run.length <= 1101, 'and no more than the limit allows');
  const q = (await (await fetch(`${th.httpUrl}/api/v1/queues/rated`)).json()) as any;
  t.same(q.limits.rate, { count: 100, perMs: 1000, burst: 1 }, 'the queue JSON shows the limit');
  t.ok(q.limits.startsInWindow > 0 && q.limits.startsInWindow <= 100, 'and its use');
  const metrics = await (await fetch(`${th.httpUrl}/metrics`)).text();
  t.match(metrics, /switchboard_queue_limit\{queue="rated",limit="rate"\} 100/);
  t.match(metrics, /switchboard_queue_limit\{queue="rated",limit="rate_window_seconds"\} 1/);
  t.match(metrics, /switchboard_queue_rate_window_starts\{queue="rated"\} \d+/);
});

t.test('group concurrency 2 per tenant, 25 tenants: never a third per tenant', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(() => producer.close());
  const { id: first } = await producer.submit('tenants', { tenant: 'warmup' });
  await until(() => th.hub.core.tasks.get(first) !== undefined);
  const res = await setLimits(th.httpUrl, 'tenants', { group: { key: 'tenant', concurrency: 2 } });
  t.equal(res.status, 200);
  const overlap = new Overlap();
  const ran: string[] = [];
  const handler = async (task: { payload: unknown }) => {
    const tenant = String((task.payload as { tenant: string }).tenant);
    overlap.enter(tenant);
    ran.push(tenant);
    await sleep(20 + Math.random() * 20);
    overlap.leave(tenant);
    return null;
  };
  const workers = [0, 1].map(
    () => new Worker({ url: th.wsUrl, queues: ['tenants'], concurrency: 40 }, handler),
  );
  for (const w of workers) await w.start();
  t.teardown(() => Promise.all(workers.map((w) => w.close({ timeoutMs: 100 }))));
  const tenants = Array.from({ length: 25 }, (_, i) => `t${i}`);
  // Tenant t0 floods (40 tasks), the rest send 6 each: t0 must not take the other slots.
  const specs = [
    ...Array.from({ length: 40 }, () => ({ queue: 'tenants', payload: { tenant: 't0' } })),
    ...tenants
      .slice(1)
      .flatMap((tenant) =>
        Array.from({ length: 6 }, () => ({ queue: 'tenants', payload: { tenant } })),
      ),
  ];
  const { ids } = await producer.submitMany(specs);
  await Promise.all(ids.map((id) => producer.result(id)));
  const peaks = tenants.map((x) => overlap.max(x));
  t.ok(
    peaks.every((p) => p <= 2),
    `at most 2 per tenant at once (peaks ${peaks.join(',')})`,
  );
  t.equal(overlap.max('t0'), 2, 'the flooding tenant used its 2');
  t.ok(overlap.max() > 20, `many tenants ran side by side (peak ${overlap.max()} at once)`);
  t.equal(ran.length, specs.length + 1, 'every task ran once');
});

t.test('a refused limit changes nothing; unknown queues are 404; DELETE clears', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(() => producer.close());
  const { id } = await producer.submit('q', 1);
  await until(() => th.hub.core.tasks.get(id) !== undefined);
  t.equal((await setLimits(th.httpUrl, 'q', { concurrency: 3 })).status, 200);
  for (const bad of [
    { rate: { count: 0, perMs: 1000 } },
    { rate: { count: 100_001, perMs: 1000 } },
    { concurrency: -1 },
    { group: { key: 'a..b', concurrency: 2 } },
    { group: { key: 'tenant' } },
    { burst: 5 },
    { rate: { count: 10, perMs: 1000, burst: 11 } },
  ]) {
    const res = await setLimits(th.httpUrl, 'q', bad);
    t.equal(res.status, 400, `refused: ${JSON.stringify(bad)}`);
  }
  t.same(th.hub.core.queues.get('q')!.limits!.spec, { concurrency: 3 }, 'still as set');
  t.equal((await setLimits(th.httpUrl, 'nope', { concurrency: 3 })).status, 404);
  t.equal(th.hub.core.queues.has('nope'), false, 'no queue made by a mistyped name');
  const del = await fetch(`${th.httpUrl}/api/v1/queues/q/limits`, { method: 'DELETE' });
  t.equal(del.status, 200);
  t.equal(((await del.json()) as { limits: unknown }).limits, null);
  t.equal(th.hub.core.queues.get('q')!.limits, undefined);
});
