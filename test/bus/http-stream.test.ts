import t from 'tap';
import { Producer, type BusMessage } from '../../client/index.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { restCall } from '../helpers/rest-call.js';
import { SseClient } from '../helpers/sse-client.js';
import { sleep, until } from '../helpers/wait.js';

const stream = (th: TestHub, query: string, options = {}): SseClient =>
  new SseClient(`${th.httpUrl}/api/v1/messages/stream?${query}`, options);

const publish = (th: TestHub, body: object) =>
  restCall(`${th.httpUrl}/api/v1/messages`, 'POST', { body });

async function metric(th: TestHub, name: string): Promise<number> {
  const text = await (await fetch(`${th.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.split(' ')[1]) : 0;
}

const dataOf = (c: SseClient): unknown[] => c.messages.map((m) => m.data.data);

t.test('an SSE subscriber gets what WebSocket clients publish, as SSE events', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const pub = new Producer({ url: th.wsUrl });
  t.teardown(() => pub.close());
  const c = stream(th, 'topic=orders.*.created');
  await c.start();
  t.teardown(() => c.close());
  await c.until((c) => c.events.length > 0);
  t.match(c.events[0], { event: 'subscribed', id: undefined, data: { resumed: false } });
  t.match(c.events[0]!.data.stream, /^sse-/, 'the stream is a bus session of its own');

  const fast = await pub.publish('orders.eu.created', { n: 1 }, { priority: 'critical' });
  t.equal(fast.subscriptions, 1, 'the stream counts as a subscription');
  const kept = await pub.publish('orders.us.created', { n: 2 }, { qos: 'at-least-once' });
  await pub.publish('orders.us.paid', { n: 3 });
  await c.until(() => c.messages.length === 2);
  const [a, b] = c.messages;
  t.equal(a!.id, undefined, 'an at-most-once message has no SSE id (a reconnect cannot resume it)');
  t.match(a!.data, {
    topic: 'orders.eu.created',
    data: { n: 1 },
    id: null,
    from: String,
    attempt: 1,
    priority: 'critical',
    publishedAt: Number,
    qos: 'at-most-once',
  });
  t.equal(b!.id, kept.id, 'a stored message’s SSE id is its message id');
  t.match(b!.data, { topic: 'orders.us.created', data: { n: 2 }, id: kept.id, attempt: 1 });
  await sleep(100);
  t.equal(c.messages.length, 2, 'a topic the pattern does not match is not sent');
});

t.test('stored messages are confirmed by reconnects: none lost, none twice', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const pub = new Producer({ url: th.wsUrl });
  t.teardown(() => pub.close());
  const c = stream(th, 'topic=jobs.>&durable=rotating&maxInFlight=5');
  await c.start();
  for (let n = 1; n <= 42; n++) await pub.publish('jobs.x', n, { qos: 'at-least-once' });
  await c.until((c) => c.messages.length >= 42);
  t.same(
    dataOf(c),
    Array.from({ length: 42 }, (_, i) => i + 1),
    'every message once, in order, across the hub ending the stream per window',
  );
  t.ok(c.connections >= 8, `the hub asked for confirmation every 5 messages (${c.connections})`);
  t.ok(
    c.events.slice(1).every((e) => e.event !== 'subscribed' || e.data.resumed === true),
    'every reconnect resumed the same stream',
  );
  await c.drop();

  // What the client confirmed is acked; the unconfirmed last two are all a WebSocket
  // subscriber of the same durable name gets (it takes the subscription over).
  const ws = new Producer({ url: th.wsUrl });
  t.teardown(() => ws.close());
  const rest: BusMessage<number>[] = [];
  await ws.subscribe('jobs.>', (m: BusMessage<number>) => void rest.push(m), {
    durable: 'rotating',
  });
  await until(() => rest.length >= 2);
  await sleep(200);
  t.same(
    rest.map((m) => m.data),
    [41, 42],
    'only the messages the client had not confirmed are delivered again',
  );
});

t.test(
  'a durable stream resumes after the client drops: nothing lost, nothing twice',
  async (t) => {
    const th = await startTestHub();
    t.teardown(th.stop);
    const c = stream(th, 'topic=audit.>&durable=auditor&maxInFlight=500');
    await c.start();
    t.teardown(() => c.close());
    const publishing = (async () => {
      for (let n = 1; n <= 60; n++) {
        const r = await publish(th, { topic: 'audit.login', data: n, qos: 'at-least-once' });
        if (r.status !== 200) throw new Error(`publish ${n}: ${r.status}`);
        if (n % 10 === 0) await sleep(20);
      }
    })();
    await c.until((c) => c.messages.length >= 15);
    await c.drop(); // mid-stream, while messages are being published
    const had = c.messages.length;
    await sleep(150);
    await c.resume();
    await publishing;
    await c.until((c) => c.messages.length >= 60);
    await sleep(200);
    t.same(
      dataOf(c),
      Array.from({ length: 60 }, (_, i) => i + 1),
      `all 60 once, in order (${had} before the drop)`,
    );
    const resumedAt = c.events.findIndex((e, i) => i > 0 && e.event === 'subscribed');
    t.match(c.events[resumedAt], { data: { resumed: true } }, 'the reconnect resumed the stream');
  },
);

t.test('one durable subscription, over WebSocket and over SSE', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const ws = new Producer({ url: th.wsUrl });
  const got: number[] = [];
  const leave = await ws.subscribe('ledger.>', (m: BusMessage<number>) => void got.push(m.data), {
    durable: 'ledger',
  });
  for (let n = 1; n <= 3; n++)
    await publish(th, { topic: 'ledger.entry', data: n, qos: 'at-least-once' });
  await until(() => got.length === 3);
  await leave();
  await ws.close();
  for (let n = 4; n <= 6; n++)
    await publish(th, { topic: 'ledger.entry', data: n, qos: 'at-least-once' });
  const c = stream(th, 'topic=ledger.>&durable=ledger');
  await c.start();
  t.teardown(() => c.close());
  await c.until((c) => c.messages.length >= 3);
  await sleep(100);
  t.same(dataOf(c), [4, 5, 6], 'the stream gets what waited for the durable name');

  const other = stream(th, 'topic=ledger.other&durable=ledger');
  await t.rejects(
    other.start(),
    { status: 409, body: { error: { code: 'SUBSCRIPTION_EXISTS' } } },
    'a durable name follows one pattern',
  );
});

t.test('at-most-once messages to an absent stream are missed and counted', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const c = stream(th, 'topic=ticks');
  await c.start();
  t.teardown(() => c.close());
  await publish(th, { topic: 'ticks', data: 1 });
  await c.until((c) => c.messages.length === 1);
  // One stored message gives the client an id to resume from.
  const kept = await publish(th, { topic: 'ticks', data: 2, qos: 'at-least-once' });
  await c.until((c) => c.lastEventId === kept.json.id);
  await c.drop();
  await sleep(100);
  const before = await metric(th, 'switchboard_messages_dropped_total');
  await publish(th, { topic: 'ticks', data: 3 });
  await publish(th, { topic: 'ticks', data: 4, qos: 'at-least-once' });
  t.equal(
    (await metric(th, 'switchboard_messages_dropped_total')) - before,
    1,
    'the at-most-once message sent while the client was away is dropped and counted',
  );
  await c.resume();
  await c.until((c) => c.messages.length >= 3);
  await sleep(100);
  t.same(dataOf(c), [1, 2, 4], 'after the resume: the stored one, not the missed one');
});

t.test('a queue group shared by WebSocket and SSE members', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const ws = new Producer({ url: th.wsUrl });
  t.teardown(() => ws.close());
  const viaWs: number[] = [];
  await ws.subscribe('work.>', (m: BusMessage<number>) => void viaWs.push(m.data), {
    group: 'crew',
  });
  const c = stream(th, 'topic=work.>&group=crew');
  await c.start();
  t.teardown(() => c.close());
  for (let n = 1; n <= 40; n++)
    await publish(th, { topic: 'work.item', data: n, qos: 'at-least-once' });
  await until(() => viaWs.length + c.messages.length >= 40);
  await sleep(200);
  const all = [...viaWs, ...(dataOf(c) as number[])].sort((x, y) => x - y);
  t.same(
    all,
    Array.from({ length: 40 }, (_, i) => i + 1),
    'each message to exactly one member',
  );
  t.ok(
    viaWs.length > 5 && c.messages.length > 5,
    `both took turns (${viaWs.length}/${c.messages.length})`,
  );
});

t.test('a request to an SSE subscriber fails at once: a stream cannot reply', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const c = stream(th, 'topic=math.double');
  await c.start();
  t.teardown(() => c.close());
  const client = new Producer({ url: th.wsUrl });
  t.teardown(() => client.close());
  const t0 = Date.now();
  await t.rejects(client.request('math.double', 21, { timeoutMs: 3000 }), {
    code: 'RESPONDER_FAILED',
    message: /Server-Sent Events stream/,
  });
  t.ok(Date.now() - t0 < 1000, 'not at the timeout');
  await sleep(50);
  t.same(c.messages, [], 'the request was not written to the stream');
});

t.test('a stream whose durable name was taken over starts again when it comes back', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const c = stream(th, 'topic=inbox&durable=inbox&maxInFlight=1');
  await c.start();
  t.teardown(() => c.close());
  await publish(th, { topic: 'inbox', data: 1, qos: 'at-least-once' });
  // maxInFlight 1: the hub ends the stream at once, and the reconnect confirms message 1.
  await c.until((c) => c.messages.length === 1 && c.connections === 2);
  await c.drop();
  const ws = new Producer({ url: th.wsUrl });
  const leave = await ws.subscribe('inbox', () => undefined, { durable: 'inbox' });
  await leave();
  await ws.close();
  await c.resume();
  await publish(th, { topic: 'inbox', data: 2, qos: 'at-least-once' });
  await c.until((c) => c.messages.length === 2);
  t.same(dataOf(c), [1, 2], 'the stream took the durable subscription back');
  t.match(
    c.events.filter((e) => e.event === 'subscribed').at(-1),
    { data: { resumed: false } },
    'and said it could not resume the old one',
  );
});
