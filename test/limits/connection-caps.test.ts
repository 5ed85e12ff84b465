import net from 'node:net';
import WebSocket from 'ws';
import t from 'tap';
import { ErrorCode } from '../../protocol/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestHub } from '../helpers/hub.js';
import { limitsWith, metricValue, rawExchange } from './net-helpers.js';

/** Try a WebSocket upgrade; resolve with the HTTP status of a refusal, or 101 on success. */
function upgradeStatus(url: string): Promise<{ status: number; body: string; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve({ status: 101, body: '', ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (err) => {
      if (!String(err.message).includes('Unexpected server response')) reject(err);
    });
  });
}

for (const transport of ['uws', 'ws'] as const) {
  t.test(`${transport}: the per-address cap refuses the upgrade with 429`, async (t) => {
    const h = await startTestHub({
      transport,
      limits: limitsWith({ maxConnections: 5, maxConnectionsPerAddress: 3 }),
    });
    t.teardown(() => h.stop());
    const open: RawClient[] = [];
    for (let i = 0; i < 3; i++) open.push(await RawClient.open(h.wsUrl));
    const refused = await upgradeStatus(h.wsUrl);
    t.equal(refused.status, 429, 'the fourth connection from one address is refused');
    const body = JSON.parse(refused.body) as { error: { code: string; message: string } };
    t.equal(body.error.code, ErrorCode.TOO_MANY_CONNECTIONS);
    t.match(body.error.message, /3 WebSocket connections open/);
    // Those already open still work.
    open[0]!.send({ t: 'submit', id: 7, task: { queue: 'caps', payload: 1 } });
    t.ok(await open[0]!.next((f) => f.t === 'submitted'), 'open sessions unaffected');
    // A slot freed is a slot reusable.
    open.pop()!.close();
    await new Promise((r) => setTimeout(r, 200));
    const again = await upgradeStatus(h.wsUrl);
    t.equal(again.status, 101, 'a closed connection frees its slot');
    again.ws!.close();
    for (const c of open) c.close();
    const metrics = await fetch(`${h.httpUrl}/metrics`).then((r) => r.text());
    t.equal(
      metricValue(metrics, 'switchboard_limit_hits_total', 'limit="ws_connections_per_address"'),
      1,
      'counted in /metrics',
    );
  });

  t.test(`${transport}: the hub-wide cap answers 503`, async (t) => {
    const h = await startTestHub({
      transport,
      limits: limitsWith({ maxConnections: 2, maxConnectionsPerAddress: 0 }),
    });
    t.teardown(() => h.stop());
    const a = await RawClient.open(h.wsUrl);
    const b = await RawClient.open(h.wsUrl);
    const refused = await upgradeStatus(h.wsUrl);
    t.equal(refused.status, 503);
    t.match(JSON.parse(refused.body), { error: { code: 'TOO_MANY_CONNECTIONS' } });
    const metrics = await fetch(`${h.httpUrl}/metrics`).then((r) => r.text());
    t.equal(metricValue(metrics, 'switchboard_limit_hits_total', 'limit="ws_connections"'), 1);
    a.close();
    b.close();
  });
}

t.test('HTTP side port: the per-address cap answers 429', async (t) => {
  const h = await startTestHub({
    limits: limitsWith({}, { maxConnections: 10, maxConnectionsPerAddress: 2 }),
  });
  t.teardown(() => h.stop());
  const port = h.http.port;
  // Two idle keep-alive connections hold both slots of this address.
  const held = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  await new Promise((r) => setTimeout(r, 100));
  const refused = await rawExchange(port, (s) =>
    s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'),
  );
  t.match(refused.text, /^HTTP\/1\.1 429 /, 'the third connection from one address gets 429');
  t.match(refused.text, /retry-after: 5/i);
  t.match(refused.text, /"code":"TOO_MANY_CONNECTIONS"/);
  for (const s of held) s.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const ok = await fetch(`${h.httpUrl}/health`);
  t.equal(ok.status, 200, 'slots come back when the connections close');
  const metrics = await fetch(`${h.httpUrl}/metrics`).then((r) => r.text());
  t.equal(
    metricValue(metrics, 'switchboard_limit_hits_total', 'limit="http_connections_per_address"'),
    1,
  );
});

t.test('HTTP side port: the hub-wide cap answers 503 and runs nothing', async (t) => {
  const h = await startTestHub({
    limits: limitsWith({}, { maxConnections: 1, maxConnectionsPerAddress: 0 }),
  });
  t.teardown(() => h.stop());
  const held = await new Promise<net.Socket>((resolve) => {
    const s = net.connect(h.http.port, '127.0.0.1', () => resolve(s));
  });
  await new Promise((r) => setTimeout(r, 100));
  const task = JSON.stringify({ queue: 'capped', payload: 1 });
  const refused = await rawExchange(h.http.port, (s) =>
    s.write(
      `POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${task.length}\r\n\r\n${task}`,
    ),
  );
  t.match(refused.text, /^HTTP\/1\.1 503 /);
  t.match(refused.text, /"code":"TOO_MANY_CONNECTIONS"/);
  held.destroy();
  await new Promise((r) => setTimeout(r, 100));
  // The hub's own view, not over HTTP: with a cap of 1, the test's fetches take the slot.
  t.notOk(h.hub.core.queues.has('capped'), 'the refused request was not run');
  const text = await h.hub.metrics.registry.metrics();
  t.equal(metricValue(text, 'switchboard_limit_hits_total', 'limit="http_connections"'), 1);
});
