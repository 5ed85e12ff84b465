import t from 'tap';
import { Producer, type BusMessage } from '../../client/index.js';
import { hubProcess } from '../helpers/hub-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { sleep, until } from '../helpers/wait.js';

const reconnect = { initialDelayMs: 20, maxDelayMs: 200 };

t.test(
  'at-least-once: a hub SIGKILLed between publish ack and delivery delivers every acked message after restart',
  async (t) => {
    const dir = tempDir(t, 'sb-bus-durable-');
    const h = await hubProcess(t, {
      preset: 'development',
      dataDir: dir,
      args: ['--store', 'wal'],
    });
    let hub = await h.start();
    const pub = new Producer({ url: h.wsUrl, reconnect });
    pub.on('error', () => undefined);
    // The durable subscription exists before the publishes; its member leaves, so the
    // messages wait in the hub for it.
    const first = new Producer({ url: h.wsUrl, reconnect });
    first.on('error', () => undefined);
    const leave = await first.subscribe('audit.>', async () => undefined, { durable: 'auditor' });
    await leave();
    await first.close();
    const acked: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await pub.publish(`audit.e${i % 5}`, { i }, { qos: 'at-least-once' });
      acked.push(r.id!);
    }
    t.equal(acked.length, 200, '200 messages acknowledged by the hub');
    hub.proc.kill('SIGKILL');
    await hub.exited;
    hub = await h.start();
    t.teardown(() => {
      hub.proc.kill('SIGKILL');
    });
    const got = new Map<string, number>();
    const sub = new Producer({ url: h.wsUrl, reconnect });
    t.teardown(async () => {
      await sub.close();
      await pub.close();
    });
    await sub.subscribe(
      'audit.>',
      async (m: BusMessage) => {
        got.set(m.id!, (got.get(m.id!) ?? 0) + 1);
      },
      { durable: 'auditor' },
    );
    await until(() => got.size === 200);
    await sleep(200);
    t.equal(
      acked.filter((id) => got.has(id)).length,
      200,
      'every acknowledged message delivered after the restart',
    );
    t.ok(
      [...got.values()].every((n) => n === 1),
      'each once (none was delivered before the kill)',
    );
  },
);

t.test(
  'a durable subscriber killed mid-stream resumes where it left off; unacked messages come again',
  async (t) => {
    const dir = tempDir(t, 'sb-bus-resume-');
    const h = await hubProcess(t, {
      preset: 'development',
      dataDir: dir,
      args: ['--store', 'wal'],
    });
    const hub = await h.start();
    t.teardown(() => {
      hub.proc.kill('SIGKILL');
    });
    const pub = new Producer({ url: h.wsUrl, reconnect });
    const a = new Producer({ url: h.wsUrl, reconnect: { enabled: false } });
    a.on('error', () => undefined);
    const handledByA = new Set<number>();
    let stall: () => void = () => undefined;
    await a.subscribe(
      'feed',
      async (m: BusMessage<{ i: number }>) => {
        if (m.data.i >= 50) await new Promise<void>((r) => (stall = r)); // never acks these
        handledByA.add(m.data.i);
      },
      { durable: 'reader', maxInFlight: 10 },
    );
    for (let i = 0; i < 100; i++) await pub.publish('feed', { i }, { qos: 'at-least-once' });
    await until(() => handledByA.size === 50);
    await sleep(100);
    // The subscriber dies with messages in flight (its socket is cut, no goodbye).
    (a as unknown as { conn: { ws: { terminate(): void } } }).conn.ws.terminate();
    void stall;
    const b = new Producer({ url: h.wsUrl, reconnect });
    t.teardown(async () => {
      await b.close();
      await pub.close();
      await a.close().catch(() => undefined);
    });
    const seenByB: number[] = [];
    const attempts = new Map<number, number>();
    await b.subscribe(
      'feed',
      async (m: BusMessage<{ i: number }>) => {
        seenByB.push(m.data.i);
        attempts.set(m.data.i, m.attempt);
      },
      { durable: 'reader' },
    );
    await until(() => seenByB.length >= 50);
    await sleep(200);
    t.same(
      [...new Set(seenByB)].sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, k) => 50 + k),
      'the successor gets exactly the 50 messages the first did not ack, none it acked',
    );
    t.ok(
      [50, 51, 52].every((i) => (attempts.get(i) ?? 0) >= 2),
      'those that were in flight say they are redeliveries (attempt 2)',
    );
  },
);

t.test('exactly-once: a publisher retry with the same id is stored once', async (t) => {
  const dir = tempDir(t, 'sb-bus-dedup-');
  const h = await hubProcess(t, { preset: 'development', dataDir: dir, args: ['--store', 'wal'] });
  const hub = await h.start();
  t.teardown(() => {
    hub.proc.kill('SIGKILL');
  });
  const p = new Producer({ url: h.wsUrl, reconnect });
  const got: string[] = [];
  await p.subscribe('pay', async (m) => void got.push(m.id!), { durable: 'payer' });
  const a = await p.publish('pay', 1, { qos: 'exactly-once', id: 'payment-17' });
  const b = await p.publish('pay', 1, { qos: 'exactly-once', id: 'payment-17' });
  t.same([a.duplicate, b.duplicate], [false, true], 'the second publish is a duplicate');
  await until(() => got.length === 1);
  await sleep(200);
  t.same(got, ['payment-17'], 'delivered once');
  await p.close();
});
