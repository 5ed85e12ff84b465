import t from 'tap';
import { CloseCode, ErrorCode } from '../../protocol/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestHub } from '../helpers/hub.js';
import { limitsWith, metricValue } from './net-helpers.js';

const submit = (id: number): object => ({ t: 'submit', id, task: { queue: 'rate', payload: id } });

for (const transport of ['uws', 'ws'] as const) {
  t.test(
    `${transport}: over the frame rate: told with RATE_LIMITED, then closed 4029`,
    async (t) => {
      const h = await startTestHub({
        transport,
        limits: limitsWith({ frameRate: 50, frameBurst: 100, byteRate: 0 }),
      });
      t.teardown(() => h.stop());
      const c = await RawClient.open(h.wsUrl);
      // The hello took one token; 99 more fit in the burst.
      for (let i = 0; i < 99; i++) c.send(submit(i + 2));
      await c.next((f) => f.t === 'submitted' && f.id === 100);
      t.notOk(
        c.frames.some((f) => f.t === 'error'),
        'a burst within the bucket is served without complaint',
      );
      // Over the burst: one warning, and the frames are still served.
      for (let i = 0; i < 20; i++) c.send(submit(200 + i));
      const warning = await c.next((f) => f.t === 'error');
      t.equal(warning.code, ErrorCode.RATE_LIMITED);
      t.match(warning.message, /50 frames\/s \(burst 100\)/);
      await c.next((f) => f.t === 'submitted' && f.id === 219);
      t.equal(
        c.frames.filter((f) => f.t === 'error').length,
        0,
        'warned once per episode, not per frame',
      );
      // Carrying on for another whole burst: closed.
      for (let i = 0; i < 150 && c.closeCode === undefined; i++) c.send(submit(300 + i));
      t.equal(await c.closed(), CloseCode.RATE_LIMITED);
      // Other connections are untouched.
      const other = await RawClient.open(h.wsUrl);
      other.send(submit(1));
      t.ok(await other.next((f) => f.t === 'submitted'));
      other.close();
      const metrics = await fetch(`${h.httpUrl}/metrics`).then((r) => r.text());
      t.equal(metricValue(metrics, 'switchboard_limit_hits_total', 'limit="rate_warned"'), 1);
      t.equal(metricValue(metrics, 'switchboard_limit_hits_total', 'limit="rate_closed"'), 1);
    },
  );
}

t.test(
  'a client that slows down after the warning is not closed, and is warned again later',
  async (t) => {
    const h = await startTestHub({
      limits: limitsWith({ frameRate: 100, frameBurst: 50, byteRate: 0 }),
    });
    t.teardown(() => h.stop());
    const c = await RawClient.open(h.wsUrl);
    for (let i = 0; i < 60; i++) c.send(submit(i + 2));
    t.equal((await c.next((f) => f.t === 'error')).code, ErrorCode.RATE_LIMITED);
    // 10 frames over: the debt is paid off at 100/s within ~0.1 s; wait well past it.
    await new Promise((r) => setTimeout(r, 800));
    for (let i = 0; i < 30; i++) c.send(submit(100 + i));
    await c.next((f) => f.t === 'submitted' && f.id === 129);
    t.equal(c.closeCode, undefined, 'still open');
    t.notOk(
      c.frames.some((f) => f.t === 'error'),
      'back under the rate: no complaint',
    );
    for (let i = 0; i < 80; i++) c.send(submit(200 + i));
    t.equal(
      (await c.next((f) => f.t === 'error')).code,
      ErrorCode.RATE_LIMITED,
      'a new episode warns again',
    );
    c.close();
  },
);

t.test('the byte rate counts frame bytes', async (t) => {
  const h = await startTestHub({
    limits: limitsWith({ frameRate: 0, byteRate: 10_000, byteBurst: 20_000 }),
  });
  t.teardown(() => h.stop());
  const c = await RawClient.open(h.wsUrl);
  const big = 'x'.repeat(4000);
  for (let i = 0; i < 6 && c.closeCode === undefined; i++)
    c.send({ t: 'submit', id: i + 2, task: { queue: 'rate', payload: big } });
  const warning = await c.next((f) => f.t === 'error');
  t.equal(warning.code, ErrorCode.RATE_LIMITED);
  t.match(warning.message, /10000 bytes\/s \(burst 20000\)/);
  for (let i = 0; i < 10 && c.closeCode === undefined; i++)
    c.send({ t: 'submit', id: i + 20, task: { queue: 'rate', payload: big } });
  t.equal(await c.closed(), CloseCode.RATE_LIMITED);
});

t.test('0 switches the rate limits off', async (t) => {
  const h = await startTestHub({ limits: limitsWith({ frameRate: 0, byteRate: 0 }) });
  t.teardown(() => h.stop());
  const c = await RawClient.open(h.wsUrl);
  for (let i = 0; i < 5000; i++) c.send(submit(i + 2));
  await c.next((f) => f.t === 'submitted' && f.id === 5001, 20_000);
  t.notOk(c.frames.some((f) => f.t === 'error'));
  c.close();
});
