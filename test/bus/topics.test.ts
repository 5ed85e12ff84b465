import t from 'tap';
import { Producer, Worker, type BusMessage } from '../../client/index.js';
import { mintToken } from '../../server/auth/index.js';
import { startTestHub } from '../helpers/hub.js';
import { sleep, until } from '../helpers/wait.js';

t.test('broadcast with wildcards: every matching subscriber gets each message once', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const a = new Producer({ url: th.wsUrl });
  const b = new Producer({ url: th.wsUrl });
  const pub = new Producer({ url: th.wsUrl });
  t.teardown(() => Promise.all([a.close(), b.close(), pub.close()]));
  const got: Record<string, string[]> = { star: [], rest: [], exact: [], other: [] };
  await a.subscribe('orders.*.created', (m) => void got.star!.push(m.topic));
  await a.subscribe('orders.>', (m) => void got.rest!.push(m.topic));
  await b.subscribe('orders.eu.created', (m) => void got.exact!.push(m.topic));
  await b.subscribe('billing.>', (m) => void got.other!.push(m.topic));
  const r1 = await pub.publish('orders.eu.created', { n: 1 });
  t.equal(r1.subscriptions, 3, 'delivered to the three matching subscriptions');
  await pub.publish('orders.us.created.late', { n: 2 });
  await pub.publish('orders', { n: 3 });
  await until(() => got.rest!.length === 2 && got.star!.length === 1 && got.exact!.length === 1);
  await sleep(50);
  t.same(got.star, ['orders.eu.created'], '* matches exactly one token');
  t.same(got.rest, ['orders.eu.created', 'orders.us.created.late'], '> matches one or more');
  t.same(got.exact, ['orders.eu.created']);
  t.same(got.other, [], 'no message for a pattern that does not match');
  const none = await pub.publish('nobody.listens', 1);
  t.equal(none.subscriptions, 0, 'a message nobody subscribes to reaches nobody (at-most-once)');
});

t.test('bad topics and patterns are refused with a code naming the problem', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const p = new Producer({ url: th.wsUrl });
  t.teardown(() => p.close());
  await t.rejects(
    p.publish('orders.*', 1),
    { code: 'INVALID_FRAME', message: /topic has a wildcard "\*"/ },
    'no wildcard in a published topic',
  );
  await t.rejects(p.publish('a..b', 1), { code: 'INVALID_FRAME', message: /empty token/ });
  await t.rejects(
    p.subscribe('a.>.b', () => undefined),
    {
      code: 'INVALID_FRAME',
      message: /">" before its last token/,
    },
  );
  const ok = await p.publish('a.b', 1);
  t.equal(ok.subscriptions, 0, 'the connection still works after refusals');
});

t.test('token scopes: topics a token does not allow, and $sys, are refused', async (t) => {
  const secret = 'bus-test-secret-0123456789abcdef';
  const th = await startTestHub({ auth: { enabled: true, secret } });
  t.teardown(th.stop);
  const scoped = new Producer({
    url: th.wsUrl,
    token: await mintToken(secret, { role: 'producer', topics: ['orders.>'] }),
  });
  const admin = new Producer({ url: th.wsUrl, token: await mintToken(secret, { role: 'admin' }) });
  t.teardown(() => Promise.all([scoped.close(), admin.close()]));
  await scoped.subscribe('orders.*.created', () => undefined);
  t.pass('a pattern inside the scope is allowed');
  await t.rejects(
    scoped.subscribe('>', () => undefined),
    { code: 'FORBIDDEN' },
  );
  await t.rejects(scoped.publish('billing.x', 1), { code: 'FORBIDDEN' });
  await t.rejects(
    scoped.subscribe('$sys.>', () => undefined),
    {
      code: 'FORBIDDEN',
      message: /admin/,
    },
  );
  const events: BusMessage<{ type: string; queue?: string }>[] = [];
  await admin.subscribe('$sys.task.*', (m) => void events.push(m as BusMessage<{ type: string }>));
  const catchAll: string[] = [];
  await admin.subscribe('>', (m) => void catchAll.push(m.topic));
  await admin.submit('sys-q', { x: 1 });
  await until(() => events.length >= 1);
  t.equal(events[0]!.topic, '$sys.task.submitted', 'the hub publishes its lifecycle events');
  t.match(events[0]!.data, { type: 'task.submitted', queue: 'sys-q' }, 'with the SSE fields');
  t.same(catchAll, [], 'a catch-all pattern does not match $sys topics');
});

t.test('a queue group: each message goes to exactly one member', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const members = [0, 1, 2].map(() => new Producer({ url: th.wsUrl }));
  const pub = new Producer({ url: th.wsUrl });
  t.teardown(() => Promise.all([...members, pub].map((c) => c.close())));
  const seen: number[][] = [[], [], []];
  for (let i = 0; i < 3; i++)
    await members[i]!.subscribe(
      'jobs.resize',
      (m: BusMessage<number>) => void seen[i]!.push(m.data),
      {
        group: 'resizers',
      },
    );
  const plain: number[] = [];
  await pub.subscribe('jobs.resize', (m: BusMessage<number>) => void plain.push(m.data));
  for (let n = 0; n < 90; n++) await pub.publish('jobs.resize', n);
  await until(() => seen.flat().length === 90 && plain.length === 90);
  await sleep(50);
  t.equal(seen.flat().length, 90, 'the group got each of 90 messages once in all');
  t.same([...new Set(seen.flat())].length, 90, 'no message went to two members');
  t.ok(
    seen.every((s) => s.length > 10),
    `every member took a share (${seen.map((s) => s.length).join('/')})`,
  );
  t.equal(plain.length, 90, 'a subscriber outside the group still gets every message');
});

t.test('request/reply: one answer, NO_RESPONDERS without subscribers, REPLY_TIMEOUT', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const responder = new Worker({ url: th.wsUrl, queues: ['q'] }, async () => undefined);
  await responder.start();
  const client = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await client.close();
    await responder.close({ timeoutMs: 100 });
  });
  await responder.subscribe('math.double', (m: BusMessage<number>) => m.data * 2);
  await responder.subscribe('math.fail', () => {
    throw new Error('no can do');
  });
  await responder.subscribe('math.slow', () => sleep(2000));
  t.equal(await client.request('math.double', 21), 42, 'the handler value is the reply');
  await t.rejects(client.request('math.none', 1), { code: 'NO_RESPONDERS' });
  await t.rejects(client.request('math.fail', 1), {
    code: 'RESPONDER_FAILED',
    message: /no can do/,
  });
  const t0 = Date.now();
  await t.rejects(client.request('math.slow', 1, { timeoutMs: 200 }), { code: 'REPLY_TIMEOUT' });
  t.ok(Date.now() - t0 < 1500, 'the timeout is the requester’s');
});

t.test('send(clientId): a direct message reaches one named worker', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const w1 = new Worker({ url: th.wsUrl, queues: ['q'], workerId: 'w-one' }, async () => 1);
  const w2 = new Worker({ url: th.wsUrl, queues: ['q'], workerId: 'w-two' }, async () => 1);
  await Promise.all([w1.start(), w2.start()]);
  const p = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await p.close();
    await Promise.all([w1.close({ timeoutMs: 100 }), w2.close({ timeoutMs: 100 })]);
  });
  const one: unknown[] = [];
  const two: unknown[] = [];
  w1.onDirect((m) => void one.push(m.data));
  w2.onDirect((m) => void two.push(m.data));
  await p.send('w-two', { hello: 'two' });
  await until(() => two.length === 1);
  await sleep(50);
  t.same(two, [{ hello: 'two' }]);
  t.same(one, [], 'only the named worker got it');
  await t.rejects(p.send('w-nobody', 1), { code: 'CLIENT_NOT_FOUND' });
});
