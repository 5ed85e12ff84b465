/**
 * Connection state for a user's health checks (issue 18 part 5): the `state` a Worker or
 * Producer is in, the `status()` stream of changes, and `stats()` counters, against real
 * hubs on loopback; and the one timer that times out requests, against a hub that answers
 * the handshake and then nothing.
 */
import { once } from 'node:events';
import t from 'tap';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  Connection,
  Producer,
  TimeoutError,
  UnrecoverableError,
  Worker,
  type ConnectionStatus,
} from '../../index.js';
import { decodeRaw, encodeFrame, FrameType, PROTOCOL_VERSION } from '../../protocol/index.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { until } from '../helpers/wait.js';

const fast = { initialDelayMs: 20, maxDelayMs: 200 };

/** Reads a status stream to its end in the background. */
function collect(stream: AsyncIterable<ConnectionStatus>): {
  types: string[];
  ended: Promise<void>;
} {
  const types: string[] = [];
  const ended = (async () => {
    for await (const s of stream) types.push(s.type);
  })();
  return { types, ended };
}

/**
 * A status sequence with each failed reconnect round (reconnecting, connecting,
 * disconnected) said once, however many rounds the restart took.
 */
function collapse(types: string[]): string {
  return types
    .join(' ')
    .replace(/( reconnecting connecting disconnected)+/g, ' reconnecting connecting disconnected');
}

async function restartOnPort(port: number): Promise<TestHub> {
  // The same port, as after a real restart; the kernel may need a moment to release it.
  for (let i = 0; i < 50; i++) {
    const hub = await startTestHub({ wsPort: port }).catch(() => undefined);
    if (hub) return hub;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`could not restart a hub on port ${port}`);
}

t.test('a hub restart, as states, a status stream and counters', async (t) => {
  const port = await freePort();
  const first = await startTestHub({ wsPort: port });
  const worker = new Worker(
    { url: first.wsUrl, queues: ['q'], reconnect: fast },
    (task) => `done ${String(task.payload)}`,
  );
  const producer = new Producer({ url: first.wsUrl, reconnect: fast });
  t.equal(worker.state, 'connecting', 'before start: no session yet');
  const ws = collect(worker.status());
  const ps = collect(producer.status());
  await worker.start();
  await producer.start();
  t.equal(worker.state, 'connected');
  t.equal(worker.stats().url, first.wsUrl, 'stats name the hub of the session');
  t.equal(await producer.result((await producer.submit('q', 1)).id), 'done 1');

  await first.stop();
  await until(() => worker.state === 'reconnecting' && producer.state === 'reconnecting');
  t.equal(worker.stats().url, undefined, 'no hub while reconnecting');
  t.match(worker.stats().lastError, { message: /connection lost/ }, 'the loss is the last error');
  const second = await restartOnPort(port);
  t.teardown(() => second.stop());
  await until(() => worker.state === 'connected' && producer.state === 'connected');
  t.equal(worker.stats().reconnects, 1, 'one reconnect');
  t.equal(producer.stats().reconnects, 1);
  t.equal(await producer.result((await producer.submit('q', 2)).id), 'done 2');

  await worker.close({ timeoutMs: 100 });
  await producer.close();
  await Promise.all([ws.ended, ps.ended]);
  t.equal(worker.state, 'closed');
  t.equal(producer.state, 'closed');
  t.comment(`worker: ${ws.types.join(' ')}`);
  // The rounds until the hub is back vary in number.
  const back =
    'disconnected( reconnecting connecting disconnected)? reconnecting connecting connected';
  t.match(
    collapse(ws.types),
    new RegExp(`^connecting connected draining ${back} draining closed$`),
    'the worker: connected, drained by the stopping hub, lost, back, draining on close, closed',
  );
  t.match(
    collapse(ps.types),
    new RegExp(`^connecting connected ${back} closed$`),
    'the producer: the same without the draining',
  );

  const late = collect(worker.status());
  await late.ended;
  t.same(late.types, [], 'a stream asked for after closed ends at once');
});

t.test('stats after N tasks: submitted, results, completed, failed, aborted', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const N = 200;
  let holding: (() => void) | undefined;
  const worker = new Worker({ url: th.wsUrl, queues: ['s'], concurrency: 8 }, async (task) => {
    const n = task.payload as number;
    if (n === -1) {
      // Waits for its cancel: the handler sees its signal abort.
      await new Promise<void>((resolve) => {
        task.signal.addEventListener('abort', () => resolve());
        holding = resolve;
      });
      return 'stopped';
    }
    if (n % 10 === 0) throw new UnrecoverableError(`no ${n}`);
    return n * 2;
  });
  await worker.start();
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await producer.close();
    await worker.close({ timeoutMs: 100 });
  });
  const outcomes = await Promise.all(
    Array.from({ length: N }, async (_, n) => {
      const { id } = await producer.submit('s', n);
      return producer.result(id).then(
        () => 'ok',
        () => 'dead',
      );
    }),
  );
  t.equal(outcomes.filter((o) => o === 'dead').length, N / 10);

  const long = await producer.submit('s', -1);
  await until(() => worker.stats().inFlight === 1);
  t.ok(holding, 'the long task is running');
  await producer.cancel(long.id);
  await until(() => worker.stats().aborted === 1);
  await producer.result(long.id).catch(() => undefined);
  await until(() => worker.stats().inFlight === 0);

  const w = worker.stats();
  t.match(w, {
    state: 'connected',
    inFlight: 0,
    completed: N - N / 10 + 1,
    failed: N / 10,
    aborted: 1,
    reconnects: 0,
    pendingRequests: 0,
  });
  t.ok(w.framesReceived >= N + 1, `the worker read every task (${w.framesReceived} frames)`);
  t.ok(w.framesSent >= N + 1, `and sent every outcome (${w.framesSent} frames)`);
  t.ok(w.bytesSent > 0 && w.bytesReceived > 0);
  t.type(w.lastRttMs, 'number', 'a round trip is known from the handshake on');
  const p = producer.stats();
  t.match(p, {
    state: 'connected',
    submitted: N + 1,
    results: N + 1,
    awaitingResults: 0,
    pendingRequests: 0,
    reconnects: 0,
    lastError: undefined,
  });
  t.ok(p.framesSent >= N + 2, `${p.framesSent} frames sent by the producer`);
  t.comment(
    `worker: ${w.framesReceived} frames / ${w.bytesReceived} bytes in, ${w.framesSent} / ${w.bytesSent} out; rtt ${w.lastRttMs} ms`,
  );
});

/** A hub that completes the handshake, then never answers: every request times out. */
async function silentHub(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data: Buffer) => {
      const f = decodeRaw(data) as { t: string; id: number };
      if (f.t !== FrameType.hello) return;
      ws.send(
        encodeFrame({
          t: FrameType.welcome,
          id: f.id,
          protocol: PROTOCOL_VERSION,
          sessionId: 's1',
          role: 'producer',
          hubVersion: 'silent',
          heartbeatMs: 30_000,
          maxFrameBytes: 1 << 20,
        }),
      );
    });
  });
  return `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
}

t.test(
  'request timeouts: each request fails after its own timeout, in deadline order',
  async (t) => {
    const conn = new Connection({ url: await silentHub(t), requestTimeoutMs: 400 });
    t.teardown(() => conn.close());
    await conn.start();
    const order: string[] = [];
    const track = (name: string, p: Promise<unknown>) =>
      p.then(
        () => order.push(`${name} answered`),
        (err: Error) =>
          order.push(`${name} ${err instanceof TimeoutError ? 'timed out' : err.message}`),
      );
    // The default (400 ms) first, then a shorter one: the shorter must not wait for the first.
    const slow = track('default', conn.request({ t: FrameType.cancel, taskId: 'x' }));
    const quick = track('short', conn.request({ t: FrameType.cancel, taskId: 'y' }, 50));
    await quick;
    t.same(order, ['short timed out'], 'the short timeout fired while the default one waited');
    t.equal(conn.stats().pendingRequests, 1);
    await slow;
    t.same(order, ['short timed out', 'default timed out']);
    t.equal(conn.stats().pendingRequests, 0, 'nothing left waiting');
  },
);
