import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { RawClient } from '../helpers/raw-client.js';
import { dribble, limitsWith, metricValue, rawExchange, UPGRADE_REQUEST } from './net-helpers.js';

// Headers dribbled a byte a second, never finished within the test.
const SLOW_GET = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ' + 'a'.repeat(200);
const SLOW_UPGRADE = UPGRADE_REQUEST.replace('\r\n\r\n', '\r\nX-Pad: ' + 'a'.repeat(200));
const HEADERS_TIMEOUT_MS = 2000;

t.test('HTTP side port: dribbled headers are cut at headersTimeout with 408', async (t) => {
  const h = await startTestHub({
    limits: limitsWith({}, { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: 4000 }),
  });
  t.teardown(() => h.stop());
  const [slow, silent] = await Promise.all([
    rawExchange(h.http.port, (s) => dribble(s, SLOW_GET)),
    rawExchange(h.http.port, () => {}),
  ]);
  for (const [name, out] of [
    ['a byte a second', slow],
    ['nothing at all', silent],
  ] as const) {
    // node checks every headersTimeout/4 (at most 1 s): the bound is 2 s + 0.5 s; allow slack.
    t.ok(
      out.closedAfterMs >= HEADERS_TIMEOUT_MS - 100,
      `${name}: not before the timeout (${out.closedAfterMs} ms)`,
    );
    t.ok(
      out.closedAfterMs < HEADERS_TIMEOUT_MS + 3000,
      `${name}: closed within the bound (${out.closedAfterMs} ms)`,
    );
    t.match(out.text, /^HTTP\/1\.1 408 /, `${name}: answered 408`);
    t.match(out.text, /"code":"REQUEST_TIMEOUT"/);
  }
  // A body dribbled after complete headers is cut at requestTimeout.
  const slowBody = await rawExchange(h.http.port, (s) => {
    s.write(
      'POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n',
    );
    dribble(s, '{"queue":"slow","payload":"' + 'z'.repeat(400));
  });
  t.ok(
    slowBody.closedAfterMs < 4000 + 3000,
    `slow body closed within the bound (${slowBody.closedAfterMs} ms)`,
  );
  t.match(slowBody.text, /^HTTP\/1\.1 408 /);
  const metrics = await fetch(`${h.httpUrl}/metrics`).then((r) => r.text());
  t.equal(metricValue(metrics, 'switchboard_limit_hits_total', 'limit="http_request_timeout"'), 3);
  const ok = await fetch(`${h.httpUrl}/health`);
  t.equal(ok.status, 200);
});

t.test(
  'ws fallback: a dribbled upgrade is cut at headersTimeout; upgraded sockets live on',
  async (t) => {
    const h = await startTestHub({
      transport: 'ws',
      limits: limitsWith({}, { headersTimeoutMs: HEADERS_TIMEOUT_MS }),
    });
    t.teardown(() => h.stop());
    // An upgraded connection outlives the header and request timeouts.
    const client = await RawClient.open(h.wsUrl);
    const out = await rawExchange(h.hub.wsPort, (s) => dribble(s, SLOW_UPGRADE));
    t.ok(
      out.closedAfterMs >= HEADERS_TIMEOUT_MS - 100,
      `not before the timeout (${out.closedAfterMs} ms)`,
    );
    t.ok(
      out.closedAfterMs < HEADERS_TIMEOUT_MS + 3000,
      `closed within the bound (${out.closedAfterMs} ms)`,
    );
    t.match(out.text, /^HTTP\/1\.1 408 /);
    await new Promise((r) => setTimeout(r, 1500));
    client.send({ t: 'submit', id: 9, task: { queue: 'alive', payload: 1 } });
    t.ok(await client.next((f) => f.t === 'submitted'), 'the upgraded connection is still served');
    client.close();
    const metrics = await fetch(`${h.httpUrl}/metrics`).then((r) => r.text());
    t.equal(
      metricValue(metrics, 'switchboard_limit_hits_total', 'limit="http_request_timeout"'),
      1,
    );
  },
);

t.test('uWebSockets.js: a dribbled upgrade is cut by its own fixed HTTP timeout', async (t) => {
  const h = await startTestHub({ transport: 'uws' });
  t.teardown(() => h.stop());
  const [slow, silent] = await Promise.all([
    rawExchange(h.hub.wsPort, (s) => dribble(s, SLOW_UPGRADE)),
    rawExchange(h.hub.wsPort, () => {}),
  ]);
  // uWS: HTTP_IDLE_TIMEOUT_S = 10, not reset by partial headers, checked on a 4 s tick.
  for (const [name, out] of [
    ['a byte a second', slow],
    ['nothing at all', silent],
  ] as const) {
    t.ok(out.closedAfterMs >= 8000, `${name}: uWS waits its ~10 s (${out.closedAfterMs} ms)`);
    t.ok(out.closedAfterMs < 20_000, `${name}: closed within 20 s (${out.closedAfterMs} ms)`);
  }
});
