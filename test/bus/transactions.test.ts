import t from 'tap';
import { Producer, Worker, type BusMessage } from '../../client/index.js';
import { mintToken } from '../../server/auth/index.js';
import { startTestHub } from '../helpers/hub.js';
import { sleep } from '../helpers/wait.js';

t.test('a transaction applies submits, cancels and publishes together', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const p = new Producer({ url: th.wsUrl });
  t.teardown(() => p.close());
  const doomed = await p.submit('later', { n: 0 }, { delayMs: 60_000 });
  const got: BusMessage[] = [];
  await p.subscribe('orders.created', async (m) => void got.push(m), { durable: 'orders' });
  const results = await p.transaction([
    { submit: { queue: 'ship', payload: { order: 7 } } },
    { cancel: doomed.id },
    { publish: { topic: 'orders.created', data: { order: 7 } } },
  ]);
  t.equal(results.length, 3);
  t.match(results[0], { taskId: String, duplicate: false });
  t.same(results[1], { taskId: doomed.id, cancelled: true });
  t.match(results[2], { msgId: String, subscriptions: 1, duplicate: false });
  const shipped = th.hub.core.tasks.get((results[0] as { taskId: string }).taskId);
  t.equal(shipped?.state, 'queued', 'the submitted task is queued');
  t.equal(th.hub.core.tasks.get(doomed.id)?.state, 'cancelled', 'the cancelled one is cancelled');
  await sleep(100);
  t.equal(got.length, 1, 'the message was delivered');
});

t.test('a failing member rejects the whole group and nothing of it is visible', async (t) => {
  const secret = 'txn-test-secret-0123456789abcdef';
  const th = await startTestHub({ auth: { enabled: true, secret } });
  t.teardown(th.stop);
  const scoped = new Producer({
    url: th.wsUrl,
    token: await mintToken(secret, { role: 'producer', queues: ['mine'], topics: ['news.>'] }),
  });
  const watcher = new Producer({
    url: th.wsUrl,
    token: await mintToken(secret, { role: 'admin' }),
  });
  t.teardown(() => Promise.all([scoped.close(), watcher.close()]));
  const events: string[] = [];
  await watcher.subscribe('$sys.>', (m) => void events.push(m.topic));
  const heard: unknown[] = [];
  await watcher.subscribe('news.>', (m) => void heard.push(m.data), { durable: 'news' });
  const existing = await scoped.submit('mine', 1, { delayMs: 60_000 });
  const tasksBefore = th.hub.core.tasks.size;
  await sleep(50);
  events.length = 0;

  await t.rejects(
    scoped.transaction([
      { submit: { queue: 'mine', payload: 1 } },
      { publish: { topic: 'news.today', data: 'hello' } },
      { submit: { queue: 'not-mine', payload: 2 } },
    ]),
    { code: 'FORBIDDEN', message: /transaction member 3: token does not allow queue not-mine/ },
  );
  await t.rejects(scoped.transaction([{ cancel: existing.id }, { cancel: 'no-such-task' }]), {
    code: 'TASK_NOT_FOUND',
    message: /transaction member 2/,
  });
  await t.rejects(scoped.transaction([{ cancel: existing.id }, { cancel: existing.id }]), {
    code: 'INVALID_STATE',
    message: /member 2.*already cancelled/,
  });
  await sleep(100);
  t.equal(th.hub.core.tasks.size, tasksBefore, 'no task was added');
  t.equal(
    th.hub.core.tasks.get(existing.id)?.state,
    'delayed',
    'the task a refused group cancelled is untouched',
  );
  t.same(heard, [], 'no message of a refused group was delivered');
  t.same(events, [], 'and no event of it was published');
});

t.test('a submitted member runs like any task, and its result reaches the producer', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const w = new Worker({ url: th.wsUrl, queues: ['tx'] }, async (task) => task.payload);
  await w.start();
  const p = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await p.close();
    await w.close({ timeoutMs: 100 });
  });
  const [a] = await p.transaction([{ submit: { queue: 'tx', payload: 'ran' } }]);
  t.equal(
    await p.result((a as { taskId: string }).taskId),
    'ran',
    'a submitted member runs like any task',
  );
});
