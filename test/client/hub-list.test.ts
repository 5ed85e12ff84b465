import { createServer, type Socket } from 'node:net';
import t from 'tap';
import { WebSocketServer } from 'ws';
import {
  Connection,
  ConnectionClosedError,
  InvalidOptionError,
  Producer,
  Worker,
  type ConnectionStatus,
} from '../../index.js';
import { TAKEOVER_MAX_DELAY_MS } from '../../client/connection.js';
import { fetchFromHubs } from '../../client/fetch-from-hubs.js';
import { HubUrlList } from '../../client/hub-urls.js';
import { HubPoller } from '../../client/monitor/hub-poller.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub } from '../helpers/hub.js';
import { hubProcess } from '../helpers/hub-process.js';
import { restCall } from '../helpers/rest-call.js';
import type { Teardown } from '../helpers/teardown.js';

/** A loopback URL nothing listens on: connecting to it is refused at once. */
async function deadWsUrl(): Promise<string> {
  return `ws://127.0.0.1:${await freePort()}`;
}

/** A port that accepts TCP and then says nothing, as a stopped (SIGSTOP) hub does. */
async function silentPort(t: Teardown): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}

t.test('a url the SDK cannot use is refused at construction with InvalidOptionError', async (t) => {
  const handler = (): string => 'never runs';
  const cases: [string, unknown, RegExp][] = [
    ['an empty list', [], /names no hub/],
    ['an empty string', '', /names no hub/],
    ['only commas', ' , ,', /names no hub/],
    ['an empty entry in a list', ['ws://127.0.0.1:1', ''], /empty string/],
    ['the HTTP side port', 'http://127.0.0.1:9500', /not a ws:\/\/ or wss:\/\/ URL/],
    ['a second entry of the wrong scheme', 'ws://127.0.0.1:1,https://b:9500', /"https:\/\/b:9500"/],
    ['no URL at all', 'localhost:9501', /not a ws:\/\/ or wss:\/\/ URL|is not a URL/],
    ['not a string', [9501], /a number/],
  ];
  for (const [what, url, message] of cases) {
    for (const [kind, make] of [
      ['Worker', () => new Worker({ url: url as string, queues: ['q'] }, handler)],
      ['Producer', () => new Producer({ url: url as string })],
      ['Connection', () => new Connection({ url: url as string })],
    ] as const) {
      t.throws(
        make,
        { name: 'InvalidOptionError', code: 'INVALID_OPTION', option: 'url', message },
        `${kind}, ${what}: InvalidOptionError naming \`url\` and what is wrong`,
      );
    }
  }
  t.throws(
    () => new Producer({ url: [] }),
    InvalidOptionError,
    'an instance of the exported class',
  );
  // What is accepted: one URL, a list, one comma-separated string (spaces allowed).
  t.same(new Connection({ url: 'ws://a:1' }).hubUrls, ['ws://a:1']);
  t.same(new Connection({ url: ['ws://a:1', 'wss://b:2'] }).hubUrls, ['ws://a:1', 'wss://b:2']);
  t.same(new Connection({ url: ' ws://a:1 , ws://b:2,' }).hubUrls, ['ws://a:1', 'ws://b:2']);
});

t.test(
  'a first url that refuses: the second hub is used at once, not after a backoff',
  async (t) => {
    const hub = await startTestHub();
    t.teardown(hub.stop);
    const dead = await deadWsUrl();
    // A backoff this long would show: moving on within a round must not wait for it.
    const reconnect = { initialDelayMs: 3000, maxDelayMs: 10_000 };
    const producer = new Producer({ url: [dead, hub.wsUrl], reconnect });
    const worker = new Worker({ url: `${dead},${hub.wsUrl}`, queues: ['q'], reconnect }, (task) =>
      String(task.payload),
    );
    const statuses: ConnectionStatus[] = [];
    producer.on('status', (s) => statuses.push(s));
    t.teardown(async () => {
      await producer.close();
      await worker.close({ timeoutMs: 100 });
    });
    t.equal(producer.url, undefined, 'no hub before start');
    const started = Date.now();
    await Promise.all([producer.start(), worker.start()]);
    const ms = Date.now() - started;
    t.ok(ms < 1000, `both connected in ${ms} ms (backoff would be up to 3000 ms)`);
    t.equal(producer.url, hub.wsUrl, 'the producer is on the second hub');
    t.equal(worker.url, hub.wsUrl, 'the worker is on the second hub');
    t.same(
      statuses.map(
        (s) =>
          `${s.type} ${'url' in s ? s.url : ''}${s.type === 'reconnecting' ? ` ${s.delayMs}` : ''}`,
      ),
      [
        `connecting ${dead}`,
        `disconnected ${dead}`,
        `reconnecting ${hub.wsUrl} 0`,
        `connecting ${hub.wsUrl}`,
        `connected ${hub.wsUrl}`,
      ],
      'tried the dead hub, moved on without waiting, connected to the second',
    );
    const id = (await producer.submit('q', 'through the second hub')).id;
    t.equal(await producer.result(id), 'through the second hub');
  },
);

t.test(
  'every hub refuses: rounds in order, a backoff only between rounds, then a clear error',
  async (t) => {
    const a = await deadWsUrl();
    const b = await deadWsUrl();
    const producer = new Producer({
      url: [a, b],
      reconnect: { initialDelayMs: 200, maxDelayMs: 200, maxAttempts: 2 },
    });
    const statuses: ConnectionStatus[] = [];
    producer.on('status', (s) => statuses.push(s));
    const err = await producer.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(err instanceof ConnectionClosedError, 'start rejects with ConnectionClosedError');
    t.match((err as Error).message, /ECONNREFUSED/, 'with the cause');
    t.match((err as Error).message, new RegExp(`every hub of ${a},${b} tried`), 'naming the hubs');
    t.same(
      statuses.filter((s) => s.type === 'connecting').map((s) => (s as { url: string }).url),
      [a, b, a, b, a, b],
      'three rounds (the first and maxAttempts 2 more), each in list order',
    );
    const waits = statuses.filter((s) => s.type === 'reconnecting');
    t.same(
      waits.map((s) => [s.url, s.delayMs === 0 ? 'now' : 'backoff']),
      [
        [b, 'now'],
        [a, waits[1]!.delayMs === 0 ? 'now' : 'backoff'],
        [b, 'now'],
        [a, waits[3]!.delayMs === 0 ? 'now' : 'backoff'],
        [b, 'now'],
      ],
      'the next hub of a round at once, the next round after a (jittered) backoff',
    );
    t.same(
      waits.map((s) => s.attempt),
      [0, 1, 1, 2, 2],
      'attempt counts failed rounds',
    );
    t.equal(statuses.at(-1)?.type, 'closed');
  },
);

t.test(
  'hub A is killed: worker and producer move to hub B by themselves, B runs their tasks; back to A when B dies',
  async (t) => {
    const a = await hubProcess(t, { preset: 'development' });
    const b = await hubProcess(t, { preset: 'development' });
    let hubA = await a.start();
    const hubB = await b.start();
    const list = [a.wsUrl, b.wsUrl];
    const reconnect = { initialDelayMs: 50, maxDelayMs: 500 };
    const ranOn = new Map<string, string | undefined>();
    const worker = new Worker(
      { url: list, queues: ['jobs'], concurrency: 4, reconnect, workerId: 'w-list' },
      (task) => {
        ranOn.set(String(task.payload), worker.url);
        return `done ${String(task.payload)}`;
      },
    );
    const producer = new Producer({ url: list, reconnect });
    const workerStatuses: ConnectionStatus[] = [];
    worker.on('status', (s) => workerStatuses.push(s));
    t.teardown(async () => {
      await producer.close();
      await worker.close({ timeoutMs: 100 });
    });
    await Promise.all([worker.start(), producer.start()]);
    t.equal(worker.url, a.wsUrl, 'the worker starts on the first hub');
    t.equal(producer.url, a.wsUrl, 'the producer starts on the first hub');
    t.equal(await producer.result((await producer.submit('jobs', 'one')).id), 'done one');
    t.equal(ranOn.get('one'), a.wsUrl, 'ran while connected to A');

    workerStatuses.length = 0;
    const killedAt = Date.now();
    hubA.proc.kill('SIGKILL');
    await hubA.exited;
    const workerMs = await until('worker on B', () => worker.url === b.wsUrl);
    t.ok(workerMs < 3000, `the worker is on B ${workerMs} ms after the kill`);
    t.same(
      workerStatuses.filter((s) => s.type === 'connecting').map((s) => (s as { url: string }).url),
      [a.wsUrl, b.wsUrl],
      'after its session on A it tried A first, then B',
    );

    // A producer on B alone: B's own tasks run on the worker that came over.
    const onlyB = new Producer({ url: b.wsUrl });
    t.teardown(() => onlyB.close());
    t.equal(await onlyB.result((await onlyB.submit('jobs', 'two')).id), 'done two');
    t.equal(ranOn.get('two'), b.wsUrl, "B's task ran on the worker, now connected to B");

    // The list producer's next submit goes to B, without anything from the caller.
    const id = (await producer.submit('jobs', 'three')).id;
    t.equal(producer.url, b.wsUrl, 'the producer moved to B');
    t.ok(Date.now() - killedAt < 5000, 'both serve again within 5 s of the kill');
    const onB = await restCall(`${b.httpUrl}/api/v1/tasks/${id}`);
    t.equal(onB.status, 200, 'the submit was recorded by B');
    t.equal(await producer.result(id), 'done three');

    // A comes back; now B dies: a session on B retries B first, then goes round to A.
    hubA = await a.start();
    workerStatuses.length = 0;
    hubB.proc.kill('SIGKILL');
    await hubB.exited;
    await until('worker on A again', () => worker.url === a.wsUrl);
    t.same(
      workerStatuses.filter((s) => s.type === 'connecting').map((s) => (s as { url: string }).url),
      [b.wsUrl, a.wsUrl],
      'after its session on B it tried B first, then A',
    );
    t.equal(await producer.result((await producer.submit('jobs', 'four')).id), 'done four');
    t.equal(ranOn.get('four'), a.wsUrl, 'and runs tasks there');
  },
);

t.test(
  'side port helpers: move on when a hub gives no answer, never on an HTTP answer',
  async (t) => {
    const one = await startTestHub();
    const two = await startTestHub();
    let oneStopped = false;
    t.teardown(() => (oneStopped ? undefined : one.stop()));
    t.teardown(two.stop);
    const dead = `http://127.0.0.1:${await freePort()}`;

    const hubs = new HubUrlList([dead, one.httpUrl, two.httpUrl], 'http');
    const first = await fetchFromHubs(hubs, '/health');
    t.equal(first.response.status, 200);
    t.equal(first.url, one.httpUrl, 'the refused hub was skipped');
    t.equal(hubs.current, one.httpUrl, 'the hub that answered stays current');

    // A 404 is an answer: it is returned from the hub that gave it, the next is not asked.
    const missing = await fetchFromHubs(hubs, '/api/v1/tasks/no-such-task');
    t.equal(missing.response.status, 404);
    t.equal(missing.url, one.httpUrl, 'not retried on another hub');

    // The monitor's poller follows the same rule, and moves on when its hub goes away.
    const poller = new HubPoller([one.httpUrl, two.httpUrl], undefined, 1000);
    t.equal((await poller.poll()).url, one.httpUrl);
    oneStopped = true;
    await one.stop();
    t.equal((await poller.poll()).url, two.httpUrl, 'polls the second hub once the first is gone');

    const none = new HubUrlList([dead], 'http');
    await t.rejects(fetchFromHubs(none, '/health'), {
      name: 'NoHubAnsweredError',
      message: new RegExp(`${dead}: ECONNREFUSED`),
    });
    t.throws(() => new HubPoller('ws://127.0.0.1:9501', undefined), {
      name: 'InvalidOptionError',
      message: /not a http:\/\/ or https:\/\/ URL/,
    });
  },
);

t.test('a hub that accepts but never answers is passed over after connectTimeoutMs', async (t) => {
  const hub = await startTestHub();
  t.teardown(hub.stop);
  const silent = await silentPort(t);
  const worker = new Worker(
    {
      url: [`ws://127.0.0.1:${silent}`, hub.wsUrl],
      queues: ['q'],
      connectTimeoutMs: 300,
      reconnect: { initialDelayMs: 3000 },
    },
    () => 'ok',
  );
  t.teardown(() => worker.close({ timeoutMs: 100 }));
  const started = Date.now();
  await worker.start();
  const ms = Date.now() - started;
  t.equal(worker.url, hub.wsUrl, 'on the hub that answers');
  t.ok(ms >= 250 && ms < 2000, `after the 300 ms connect timeout, not the backoff (${ms} ms)`);

  // The side port: a read moves on after its timeout; a write might have been taken, so not.
  const hubs = new HubUrlList([`http://127.0.0.1:${silent}`, hub.httpUrl], 'http');
  const read = await fetchFromHubs(hubs, '/health', { timeoutMs: 300 });
  t.equal(read.url, hub.httpUrl, 'GET: the silent hub timed out, the next one answered');
  const writes = new HubUrlList([`http://127.0.0.1:${silent}`, hub.httpUrl], 'http');
  await t.rejects(
    fetchFromHubs(writes, '/api/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ queue: 'q' }),
      timeoutMs: 300,
    }),
    {
      name: 'NoHubAnsweredError',
      stoppedEarly: true,
      message: /TimeoutError.*may have been applied/,
    },
    'POST: not sent to a second hub after a timeout',
  );
});

t.test(
  'a cluster changing leaders (close 1013): rounds stay at most 500 ms apart whatever the backoff',
  async (t) => {
    // A hub that is up but has no leader yet: it takes the WebSocket and closes it with 1013,
    // as an edge does while another hub takes over.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('connection', (ws) => ws.close(1013, 'no hub of the cluster leads yet'));
    t.teardown(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
    const producer = new Producer({
      url: [url, await deadWsUrl()],
      // Without the takeover rule the 6th round would wait up to 64 s.
      reconnect: { initialDelayMs: 2000, maxDelayMs: 120_000, maxAttempts: 6 },
    });
    const waits: number[] = [];
    producer.on('status', (s) => {
      if (s.type === 'reconnecting' && s.delayMs > 0) waits.push(s.delayMs);
    });
    const started = Date.now();
    await t.rejects(producer.start(), ConnectionClosedError, 'gives up after maxAttempts');
    t.equal(waits.length, 6, 'six rounds backed off');
    t.ok(
      waits.every((ms) => ms <= TAKEOVER_MAX_DELAY_MS),
      `each wait at most ${TAKEOVER_MAX_DELAY_MS} ms: ${waits.join(', ')}`,
    );
    t.ok(Date.now() - started < 10_000, `all rounds within seconds (${Date.now() - started} ms)`);
  },
);
