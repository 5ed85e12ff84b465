import t from 'tap';
import { Producer, type BusMessage } from '../../client/index.js';
import { startTestHub } from '../helpers/hub.js';
import { RawClient } from '../helpers/raw-client.js';
import { sleep } from '../helpers/wait.js';

type Paused = { _socket: { pause(): void; resume(): void } };

t.test(
  'a subscriber that stops reading: at-most-once messages to it are dropped and counted, memory stays bounded',
  async (t) => {
    const th = await startTestHub({ maxFrameBytes: 1 << 20, maxBackpressureBytes: 64 << 20 });
    t.teardown(th.stop);
    const slow = await RawClient.open(th.wsUrl);
    t.teardown(() => slow.close());
    slow.send({ t: 'subscribe', id: 1, sid: 1, pattern: 'firehose' });
    await slow.next((f) => f.t === 'ack' && f.id === 1);
    (slow.ws as unknown as Paused)._socket.pause();
    const fast = new Producer({ url: th.wsUrl });
    let fastGot = 0;
    await fast.subscribe('firehose', () => void fastGot++);
    const pub = await RawClient.open(th.wsUrl);
    t.teardown(async () => {
      pub.close();
      await fast.close();
    });
    const blob = 'x'.repeat(4096);
    const N = 4000; // 16 MB in all
    for (let i = 0; i < N; i++) {
      pub.send({ t: 'publish', topic: 'firehose', data: { i, blob } });
      if (i % 200 === 199) await sleep(5);
    }
    const end = Date.now() + 20_000;
    while (fastGot < N && Date.now() < end) await sleep(20);
    t.equal(fastGot, N, 'a subscriber that keeps up got every message');
    const session = (th.hub as unknown as { sessions: { get(id: string): unknown } }).sessions;
    const ids = [
      ...(session as unknown as { byId: Map<string, { pendingBytes(): number }> }).byId.values(),
    ];
    const worst = Math.max(...ids.map((s) => s.pendingBytes()));
    t.ok(
      worst < 4 << 20,
      `the hub holds at most a few MB for the stalled one (${worst} bytes), not 16 MB`,
    );
    const metrics = await (await fetch(`${th.httpUrl}/metrics`)).text();
    const dropped = Number(/switchboard_messages_dropped_total (\d+)/.exec(metrics)?.[1] ?? 0);
    t.ok(dropped > N / 2, `the drops are counted in /metrics (${dropped})`);
    (slow.ws as unknown as Paused)._socket.resume();
    let got = 0;
    for (;;) {
      const f = await slow.next((x) => x.t === 'message', 1000).catch(() => undefined);
      if (!f) break;
      got++;
    }
    t.ok(got > 0 && got < N, `the slow one gets what fitted (${got}), then the stream again`);
    pub.send({ t: 'publish', topic: 'firehose', data: 'after' });
    const after = await slow.next((x) => x.t === 'message' && x.data === 'after');
    t.ok(after, 'and it is still subscribed');
  },
);

t.test(
  'at-least-once to a stalled durable subscriber: nothing dropped, maxInFlight bounds what is sent, priorities order the backlog',
  async (t) => {
    const th = await startTestHub();
    t.teardown(th.stop);
    const pub = new Producer({ url: th.wsUrl });
    t.teardown(() => pub.close());
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const sub = new Producer({ url: th.wsUrl });
    t.teardown(() => sub.close());
    await sub.subscribe(
      'work',
      async (m: BusMessage<string>) => {
        await gate;
        order.push(m.data);
      },
      { durable: 'w', maxInFlight: 2 },
    );
    for (let i = 0; i < 6; i++)
      await pub.publish('work', `low-${i}`, { qos: 'at-least-once', priority: 'low' });
    await pub.publish('work', 'critical', { qos: 'at-least-once', priority: 'critical' });
    const c = th.hub.core.bus.consumers.get('d:w')!;
    t.equal(c.inFlight.size, 2, 'two in flight (maxInFlight)');
    t.equal(c.waiting.size, 5, 'the rest kept in the hub, none dropped');
    release();
    const end = Date.now() + 5000;
    while (order.length < 7 && Date.now() < end) await sleep(10);
    t.same(
      order,
      ['low-0', 'low-1', 'critical', 'low-2', 'low-3', 'low-4', 'low-5'],
      'the critical message goes before the low ones still waiting',
    );
  },
);

t.test('subscriptions are restored after a reconnect', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const sub = new Producer({ url: th.wsUrl, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
  const pub = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await sub.close();
    await pub.close();
  });
  const got: unknown[] = [];
  await sub.subscribe('news.*', (m) => void got.push(m.data));
  const reconnected = new Promise<void>((resolve) => {
    let lost = false;
    sub.on('status', (s) => {
      if (s.type === 'disconnected') lost = true;
      if (s.type === 'connected' && lost) resolve();
    });
  });
  (sub as unknown as { conn: { ws: { terminate(): void } } }).conn.ws.terminate();
  await reconnected;
  const r = await pub.publish('news.today', 'after the reconnect');
  t.equal(r.subscriptions, 1, 'the hub has the subscription again');
  const end = Date.now() + 3000;
  while (got.length === 0 && Date.now() < end) await sleep(10);
  t.same(got, ['after the reconnect']);
});

t.test('one connection cannot hold unbounded requests or subscriptions', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const responder = await RawClient.open(th.wsUrl);
  const client = await RawClient.open(th.wsUrl);
  t.teardown(() => {
    responder.close();
    client.close();
  });
  responder.send({ t: 'subscribe', id: 1, sid: 1, pattern: 'silent' });
  await responder.next((f) => f.t === 'ack');
  for (let i = 0; i < 1000; i++)
    client.send({ t: 'request', id: 10 + i, topic: 'silent', timeoutMs: 60_000 });
  client.send({ t: 'request', id: 5000, topic: 'silent', timeoutMs: 60_000 });
  const refused = await client.next((f) => f.t === 'error' && f.id === 5000);
  t.equal(refused.code, 'RATE_LIMITED', 'the 1,001st waiting request is refused');
  t.match(refused.message, /1000 requests waiting/);
});
