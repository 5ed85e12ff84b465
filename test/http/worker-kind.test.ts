import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { RawClient } from '../helpers/raw-client.js';

// The core calls them push and pull workers; the REST API has always said ws and http.
t.test('GET /api/v1/workers names a WebSocket worker ws and an HTTP worker http', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const ws = await RawClient.open(th.wsUrl);
  t.teardown(() => ws.close());
  ws.send({ t: 'register', id: 2, workerId: 'sock-1', queues: ['q'] });
  await ws.next((f) => f.t === 'registered');
  const reg = await fetch(`${th.httpUrl}/api/workers/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workerId: 'curl-1', queues: ['q'] }),
  });
  t.equal(reg.status, 201);
  t.equal(((await reg.json()) as any).worker.kind, 'http', 'the register answer says http');
  const list = (await fetch(`${th.httpUrl}/api/v1/workers`).then((r) => r.json())) as any;
  const kinds = Object.fromEntries(list.workers.map((w: any) => [w.id, w.kind]));
  t.same(kinds, { 'sock-1': 'ws', 'curl-1': 'http' });
});
