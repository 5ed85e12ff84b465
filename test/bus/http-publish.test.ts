import t from 'tap';
import { Producer, type BusMessage } from '../../client/index.js';
import { mintToken } from '../../server/auth/index.js';
import { startTestHub } from '../helpers/hub.js';
import { restCall } from '../helpers/rest-call.js';
import { SseClient } from '../helpers/sse-client.js';
import { sleep, until } from '../helpers/wait.js';

t.test('POST /api/v1/messages reaches a WebSocket subscriber', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const sub = new Producer({ url: th.wsUrl });
  t.teardown(() => sub.close());
  const got: BusMessage[] = [];
  await sub.subscribe('orders.>', (m) => void got.push(m));
  const url = `${th.httpUrl}/api/v1/messages`;

  const fast = await restCall(url, 'POST', {
    body: { topic: 'orders.eu.created', data: { n: 1 }, priority: 'high' },
  });
  t.equal(fast.status, 202, 'at-most-once: 202, handed to the subscribers connected now');
  t.same(fast.json, { id: null, subscriptions: 1, duplicate: false });

  const kept = await restCall(url, 'POST', {
    body: { topic: 'orders.us.created', data: 'two', qos: 'at-least-once' },
  });
  t.equal(kept.status, 200, 'a stored message: 200 once durable');
  t.match(kept.json, { id: String, subscriptions: 1, duplicate: false });

  await until(() => got.length === 2);
  t.match(got[0], { topic: 'orders.eu.created', data: { n: 1 }, priority: 'high', acked: false });
  t.match(got[1], { topic: 'orders.us.created', data: 'two', id: kept.json.id, acked: true });

  const once = { topic: 'orders.eu.paid', data: 3, qos: 'exactly-once', id: 'pay-1' };
  const first = await restCall(url, 'POST', { body: once });
  const again = await restCall(url, 'POST', { body: once });
  t.same(first.json, { id: 'pay-1', subscriptions: 1, duplicate: false });
  t.equal(again.status, 200);
  t.same(again.json, { id: 'pay-1', subscriptions: 0, duplicate: true }, 'deduplicated by id');
  await until(() => got.length === 3);
  await sleep(100);
  t.equal(got.length, 3, 'the duplicate was not delivered');

  const nobody = await restCall(url, 'POST', { body: { topic: 'nobody.listens' } });
  t.same(nobody.json, { id: null, subscriptions: 0, duplicate: false });
});

t.test('bad bodies are 400 naming the field; an oversize one is 413', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const sub = new Producer({ url: th.wsUrl });
  t.teardown(() => sub.close());
  const got: unknown[] = [];
  await sub.subscribe('>', (m) => void got.push(m.data));
  const url = `${th.httpUrl}/api/v1/messages`;
  const bad: [unknown, RegExp][] = [
    [{}, /topic/],
    [{ topic: 'orders.*' }, /topic: topic has a wildcard/],
    [{ topic: 'a..b' }, /topic: topic has an empty token/],
    [{ topic: 'a', qos: 'twice' }, /qos/],
    [{ topic: 'a', priority: 'urgent' }, /priority/],
    [{ topic: 'a', ttlMs: 0 }, /ttlMs/],
    [{ topic: 'a', id: 'x\nevent: forged' }, /id: may not contain a line break/],
    [{ topic: 'a', colour: 'red' }, /colour/],
    [[{ topic: 'a' }], /expected object/],
  ];
  for (const [body, message] of bad) {
    const r = await restCall(url, 'POST', { body });
    t.equal(r.status, 400, `${JSON.stringify(body)}: 400`);
    t.equal(r.json.error.code, 'INVALID_FRAME');
    t.match(r.json.error.message, message, `names the field: ${r.json.error.message}`);
  }
  const broken = await restCall(url, 'POST', { body: '{"topic": "a"' });
  t.equal(broken.status, 400);
  t.equal(broken.json.error.code, 'INVALID_JSON');
  const huge = await restCall(url, 'POST', {
    body: { topic: 'a', data: 'x'.repeat(2 << 20) },
  });
  t.equal(huge.status, 413, 'over the body limit: 413');
  t.equal(huge.json.error.code, 'BODY_TOO_LARGE');
  await sleep(50);
  t.same(got, [], 'nothing refused was published');
});

t.test('auth: a token is needed; topic scopes and $sys apply to publish and stream', async (t) => {
  const secret = 'bus-http-secret-0123456789abcdef';
  const th = await startTestHub({ auth: { enabled: true, secret } });
  t.teardown(th.stop);
  const scoped = await mintToken(secret, { role: 'worker', subject: 'w1', topics: ['orders.>'] });
  const producer = await mintToken(secret, { role: 'producer' });
  const url = `${th.httpUrl}/api/v1/messages`;

  const anon = await restCall(url, 'POST', { body: { topic: 'orders.a' } });
  t.equal(anon.status, 401);
  t.equal(anon.json.error.code, 'UNAUTHORIZED');
  const forged = await restCall(url, 'POST', { body: { topic: 'orders.a' }, token: 'x.y.z' });
  t.equal(forged.status, 401);

  const inScope = await restCall(url, 'POST', { body: { topic: 'orders.a' }, token: scoped });
  t.equal(inScope.status, 202, 'a worker token may publish within its topics');
  const outOfScope = await restCall(url, 'POST', { body: { topic: 'billing.a' }, token: scoped });
  t.equal(outOfScope.status, 403);
  t.match(outOfScope.json.error, { code: 'FORBIDDEN', message: /topic "billing.a"/ });
  const sys = await restCall(url, 'POST', { body: { topic: '$sys.task.x' }, token: producer });
  t.equal(sys.status, 403, 'nobody publishes the hub’s own $sys topics');

  const stream = (q: string): string => `${th.httpUrl}/api/v1/messages/stream?${q}`;
  const refusals: [string, string | undefined, number, string][] = [
    ['topic=orders.>', undefined, 401, 'UNAUTHORIZED'],
    ['topic=billing.>', scoped, 403, 'FORBIDDEN'],
    ['topic=>', scoped, 403, 'FORBIDDEN'],
    ['topic=$sys.>', producer, 403, 'FORBIDDEN'],
    ['topic=a.>.b', producer, 400, 'INVALID_FRAME'],
    ['topic=a&maxInFlight=0', producer, 400, 'INVALID_FRAME'],
    ['topic=a&durable=no%20spaces', producer, 400, 'INVALID_FRAME'],
  ];
  for (const [q, token, status, code] of refusals) {
    const c = new SseClient(stream(q), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    await t.rejects(c.start(), { status, body: { error: { code } } }, `${q}: ${status} ${code}`);
  }

  // A durable subscription belongs to the identity that made it.
  const mine = new SseClient(stream('topic=orders.>&durable=w1-orders'), {
    headers: { authorization: `Bearer ${scoped}` },
  });
  await mine.start();
  await mine.drop();
  const other = await mintToken(secret, { role: 'worker', subject: 'w2', topics: ['orders.>'] });
  const theirs = new SseClient(stream('topic=orders.>&durable=w1-orders'), {
    headers: { authorization: `Bearer ${other}` },
  });
  await t.rejects(theirs.start(), { status: 403, body: { error: { code: 'FORBIDDEN' } } });

  const admin = await mintToken(secret, { role: 'admin' });
  const events = new SseClient(stream('topic=$sys.task.*'), {
    headers: { authorization: `Bearer ${admin}` },
  });
  await events.start();
  t.teardown(() => events.close());
  await restCall(`${th.httpUrl}/api/v1/tasks`, 'POST', { body: { queue: 'q' }, token: admin });
  await events.until((c) => c.messages.length > 0);
  t.match(events.messages[0]!.data, {
    topic: '$sys.task.submitted',
    from: 'hub',
    data: { type: 'task.submitted', queue: 'q' },
  });
});

t.test('a revoked token ends its stream', async (t) => {
  const secret = 'bus-http-secret-0123456789abcdef';
  const th = await startTestHub({ auth: { enabled: true, secret } });
  t.teardown(th.stop);
  const admin = await mintToken(secret, { role: 'admin' });
  const token = await mintToken(secret, { role: 'producer', subject: 'leaver' });
  const c = new SseClient(`${th.httpUrl}/api/v1/messages/stream?topic=x`, {
    headers: { authorization: `Bearer ${token}` },
    reconnect: false,
  });
  await c.start();
  const revoke = await restCall(`${th.httpUrl}/api/v1/tokens/revoke`, 'POST', {
    body: { subject: 'leaver' },
    token: admin,
  });
  t.equal(revoke.status, 200);
  // The client sees the end of its stream; a reconnect would be refused (401).
  await c.finished();
  const again = new SseClient(`${th.httpUrl}/api/v1/messages/stream?topic=x`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await t.rejects(again.start(), { status: 401 });
  await c.close();
});
