import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { CloseCode } from '../../protocol/index.js';
import { startTestHub } from '../helpers/hub.js';

/**
 * POST /api/workers/unregister of a WebSocket worker: the hub closes its socket with
 * UNREGISTERED, the SDK stops (no reconnect: the removal was deliberate), and its task goes
 * back to the queue for a worker that is really there.
 */
t.test('unregistering a WebSocket worker over HTTP closes its connection', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const statuses: string[] = [];
  let closeCode: number | undefined;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let aborted = false;
  const ws = new Worker(
    { url: th.wsUrl, workerId: 'ws-1', queues: ['jobs'], reconnect: { initialDelayMs: 20 } },
    async (task) => {
      task.signal.addEventListener('abort', () => (aborted = true));
      await held;
      return 'from ws-1';
    },
  );
  ws.on('error', () => undefined);
  ws.on('status', (s) => {
    statuses.push(s.type);
    if (s.type === 'disconnected') closeCode = s.code;
  });
  await ws.start();
  t.teardown(() => {
    release();
    return ws.close({ timeoutMs: 100 });
  });
  const producer = new Producer({ url: th.wsUrl });
  producer.on('error', () => undefined);
  t.teardown(() => producer.close());
  const { id } = await producer.submit('jobs', { n: 1 });
  for (let i = 0; i < 100 && ws.active === 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(ws.active, 1, 'ws-1 runs the task');

  const res = await fetch(`${th.httpUrl}/api/workers/unregister`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workerId: 'ws-1' }),
  });
  t.equal(res.status, 200);
  for (let i = 0; i < 100 && !statuses.includes('closed'); i++)
    await new Promise((r) => setTimeout(r, 20));
  t.equal(closeCode, CloseCode.UNREGISTERED, 'closed with UNREGISTERED (4020)');
  t.ok(statuses.includes('closed'), 'the SDK says closed, not connected');
  t.ok(aborted, 'its running handler was told to stop');
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(statuses.includes('reconnecting'), 'and it does not come back');
  t.notOk(th.hub.core.workers.has('ws-1'), 'the hub has no ws-1');

  // The requeued task runs on a worker that is really there.
  const other = new Worker(
    { url: th.wsUrl, workerId: 'ws-2', queues: ['jobs'] },
    async () => 'ws-2',
  );
  other.on('error', () => undefined);
  await other.start();
  t.teardown(() => other.close({ timeoutMs: 100 }));
  t.equal(await producer.result(id), 'ws-2');
});
