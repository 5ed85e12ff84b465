/**
 * The SDK behind a proxy that refuses WebSocket upgrades: the same Worker and Producer code
 * works over the hub's HTTP routes (long-poll pull, progress POST, long-poll results),
 * says so in its status ('fallback'), and goes back to WebSocket once upgrades pass.
 */
import t, { type Test } from 'tap';
import { Producer, TaskFailedError, UnrecoverableError, Worker } from '../../index.js';
import type { ConnectionStatus } from '../../client/connection.js';
import { mintToken } from '../../server/auth/index.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { startUpgradeProxy, type UpgradeMode } from '../helpers/upgrade-proxy.js';
import { until } from '../helpers/wait.js';

const SECRET = 'http-fallback-secret-0123456789abcdef';
const fast = { initialDelayMs: 10, maxDelayMs: 50 };

async function setup(t: Test, mode: UpgradeMode) {
  const th: TestHub = await startTestHub({ auth: { enabled: true, secret: SECRET } });
  const proxy = await startUpgradeProxy(th, mode);
  t.teardown(async () => {
    await proxy.close();
    await th.stop();
  });
  return {
    th,
    proxy,
    workerToken: await mintToken(SECRET, { role: 'worker', subject: 'fallback-worker' }),
    producerToken: await mintToken(SECRET, { role: 'producer' }),
    adminToken: await mintToken(SECRET, { role: 'admin' }),
  };
}

/** The statuses a client reported, by type, in order. */
function statuses(client: { on(e: 'status', l: (s: ConnectionStatus) => void): unknown }) {
  const seen: ConnectionStatus[] = [];
  client.on('status', (s) => seen.push(s));
  return seen;
}

for (const mode of ['refuse', 'close'] as const) {
  t.test(
    `a proxy that ${mode === 'refuse' ? 'answers 426 to' : 'drops'} upgrades: tasks, progress and results over HTTP`,
    async (t) => {
      const { proxy, workerToken, producerToken } = await setup(t, mode);
      const httpFallback = { httpUrl: proxy.httpUrl, retryWebSocketMs: 0, pollWaitMs: 5000 };
      const progressSeen = new Set<string>();
      const worker = new Worker(
        {
          url: proxy.wsUrl,
          token: workerToken,
          queues: ['fb'],
          concurrency: 4,
          reconnect: fast,
          httpFallback,
        },
        async (task) => {
          const { n, fail } = task.payload as { n: number; fail?: boolean };
          if (fail) throw new UnrecoverableError('no good');
          // Progress is the latest value: report it until the producer has seen it.
          while (n === 0 && !progressSeen.has(task.id)) {
            task.progress({ pct: 50 });
            await new Promise((r) => setTimeout(r, 50));
          }
          return n * n;
        },
      );
      const workerStatus = statuses(worker);
      const producer = new Producer({
        url: proxy.wsUrl,
        token: producerToken,
        reconnect: fast,
        httpFallback,
      });
      const producerStatus = statuses(producer);
      t.teardown(async () => {
        await producer.close();
        await worker.close({ timeoutMs: 500 });
      });
      await worker.start();
      await producer.start();
      for (const [name, seen] of [
        ['worker', workerStatus],
        ['producer', producerStatus],
      ] as const) {
        const fb = seen.find((s) => s.type === 'fallback');
        t.ok(fb, `the ${name} reports fallback`);
        if (fb?.type === 'fallback') {
          t.equal(fb.transport, 'http');
          t.equal(fb.url, proxy.httpUrl, `the ${name} works at the proxy's HTTP origin`);
        }
        t.notOk(
          seen.some((s) => s.type === 'connected'),
          `the ${name} never had a WebSocket session`,
        );
      }
      t.ok(proxy.upgrades >= 2, `upgrades were tried first (${proxy.upgrades})`);

      // One submit with progress; a batch; a failure.
      const first = await producer.submit('fb', { n: 0 });
      const values: unknown[] = [];
      producer.onProgress(first.id, (v) => {
        values.push(v);
        progressSeen.add(first.id);
      });
      t.equal(await producer.result(first.id), 0, 'the first result came back');
      t.same(values[0], { pct: 50 }, 'its progress came back');

      const { ids } = await producer.submitMany(
        Array.from({ length: 20 }, (_, i) => ({ queue: 'fb', payload: { n: i + 1 } })),
      );
      const results = await Promise.all(ids.map((id) => producer.result<number>(id)));
      t.same(
        results,
        Array.from({ length: 20 }, (_, i) => (i + 1) ** 2),
        'twenty results of a batch, each right',
      );

      const bad = await producer.submit('fb', { n: 1, fail: true });
      const err = await producer.result(bad.id).catch((e: unknown) => e);
      t.ok(err instanceof TaskFailedError, 'a failed task rejects with TaskFailedError');
      t.equal((err as TaskFailedError).status, 'dead');

      // A task submitted by someone else is watched by id.
      const other = new Producer({
        url: proxy.wsUrl,
        token: producerToken,
        reconnect: fast,
        httpFallback,
      });
      t.teardown(() => other.close());
      const { id } = await other.submit('fb', { n: 9 });
      t.equal(await producer.result(id), 81, "another producer's task, watched by id");
      t.ok(proxy.requests > 0, `HTTP went through the proxy (${proxy.requests} requests)`);
    },
  );
}

t.test(
  'more results awaited than one long-poll takes (1,000 ids): every one arrives',
  async (t) => {
    const { proxy, workerToken, producerToken } = await setup(t, 'refuse');
    const httpFallback = { httpUrl: proxy.httpUrl, retryWebSocketMs: 0, pollWaitMs: 5000 };
    const worker = new Worker(
      { url: proxy.wsUrl, token: workerToken, queues: ['many'], concurrency: 64, httpFallback },
      (task) => (task.payload as { n: number }).n + 1,
    );
    const producer = new Producer({ url: proxy.wsUrl, token: producerToken, httpFallback });
    t.teardown(async () => {
      await producer.close();
      await worker.close({ timeoutMs: 500 });
    });
    // The tasks are in before the worker starts, so 1,200 results are awaited at once.
    const { ids } = await producer.submitMany(
      Array.from({ length: 1200 }, (_, n) => ({ queue: 'many', payload: { n } })),
    );
    const results = Promise.all(ids.map((id) => producer.result<number>(id)));
    const started = Date.now();
    await worker.start();
    t.same(
      await results,
      ids.map((_, n) => n + 1),
      '1,200 results, each right',
    );
    t.comment(`1,200 tasks over the HTTP fallback in ${Date.now() - started} ms`);
  },
);

t.test('a hub that is down is not a refused upgrade: no fallback', async (t) => {
  const { th, workerToken } = await setup(t, 'refuse');
  const httpUrl = th.httpUrl;
  await th.stop();
  const worker = new Worker(
    {
      url: th.wsUrl,
      token: workerToken,
      queues: ['fb'],
      reconnect: { ...fast, maxAttempts: 3 },
      httpFallback: { httpUrl },
    },
    () => 1,
  );
  const seen = statuses(worker);
  await t.rejects(worker.start(), 'start gives up');
  t.notOk(
    seen.some((s) => s.type === 'fallback'),
    'never fell back',
  );
});

t.test('a refused token over HTTP is as final as close 4001', async (t) => {
  const { proxy } = await setup(t, 'refuse');
  const producer = new Producer({
    url: proxy.wsUrl,
    token: 'not-a-token',
    reconnect: fast,
    httpFallback: { httpUrl: proxy.httpUrl },
  });
  await t.rejects(producer.start(), { code: 'UNAUTHORIZED' });
  await producer.close();
});

t.test('back to WebSocket once the proxy passes upgrades', async (t) => {
  const { th, proxy, workerToken, producerToken, adminToken } = await setup(t, 'refuse');
  const httpFallback = { httpUrl: proxy.httpUrl, retryWebSocketMs: 100, pollWaitMs: 2000 };
  const worker = new Worker(
    {
      url: proxy.wsUrl,
      token: workerToken,
      queues: ['back'],
      concurrency: 2,
      reconnect: fast,
      httpFallback,
    },
    (task) => `done ${String((task.payload as { n: number }).n)}`,
  );
  const workerStatus = statuses(worker);
  const producer = new Producer({
    url: proxy.wsUrl,
    token: producerToken,
    reconnect: fast,
    httpFallback,
  });
  const producerStatus = statuses(producer);
  t.teardown(async () => {
    await producer.close();
    await worker.close({ timeoutMs: 500 });
  });
  await worker.start();
  const a = await producer.submit('back', { n: 1 });
  t.equal(await producer.result(a.id), 'done 1', 'a result over HTTP');
  t.ok(
    workerStatus.some((s) => s.type === 'fallback'),
    'the worker was on HTTP',
  );

  proxy.mode = 'pass';
  await until(
    () =>
      workerStatus.some((s) => s.type === 'connected') &&
      producerStatus.some((s) => s.type === 'connected'),
  );
  t.pass('both came back to WebSocket');
  const b = await producer.submit('back', { n: 2 });
  t.equal(await producer.result(b.id), 'done 2', 'a result over WebSocket');
  const res = await fetch(`${th.httpUrl}/api/v1/workers/${worker.id}`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  const w = (await res.json()) as { kind: string };
  t.equal(w.kind, 'ws', 'the hub knows the worker as a WebSocket worker again');
});
