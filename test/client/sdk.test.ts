import t from 'tap';
import {
  AuthError,
  HubError,
  Producer,
  TaskFailedError,
  UnrecoverableError,
  Worker,
} from '../../index.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub } from '../helpers/hub.js';

const fast = { initialDelayMs: 20, maxDelayMs: 200 };

t.test('1,000 tasks through 4 workers: every result correct, none lost', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const seenBy = new Map<string, number>();
  const workers = [0, 1, 2, 3].map(
    (i) =>
      new Worker({ url: th.wsUrl, queues: ['math'], concurrency: 16 }, async (task) => {
        seenBy.set(task.id, i);
        const { n } = task.payload as { n: number };
        return n * n;
      }),
  );
  await Promise.all(workers.map((w) => w.start()));
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await producer.close();
    await Promise.all(workers.map((w) => w.close({ timeoutMs: 100 })));
  });
  const items = Array.from({ length: 1000 }, (_, n) => ({ queue: 'math', payload: { n } }));
  const { ids } = await producer.submitMany(items);
  t.equal(ids.length, 1000);
  const results = await Promise.all(ids.map((id) => producer.result<number>(id)));
  t.same(
    results,
    items.map((i) => i.payload.n ** 2),
    'every result matches its task',
  );
  t.equal(seenBy.size, 1000, 'every task ran');
  const perWorker = [0, 1, 2, 3].map((i) => [...seenBy.values()].filter((w) => w === i).length);
  t.ok(
    perWorker.every((n) => n > 0),
    `work spread over all workers (${perWorker.join(', ')})`,
  );
});

t.test(
  'fails twice, succeeds on the third attempt; exhausted attempts go to the dead-letter queue',
  async (t) => {
    const th = await startTestHub();
    t.teardown(th.stop);
    const attempts = new Map<string, number[]>();
    const worker = new Worker(
      { url: th.wsUrl, queues: ['flaky'], concurrency: 4 },
      async (task) => {
        attempts.set(task.id, [...(attempts.get(task.id) ?? []), task.attempt]);
        const mode = (task.payload as { mode: string }).mode;
        if (mode === 'third-time' && task.attempt < 3) throw new Error(`boom ${task.attempt}`);
        if (mode === 'always') throw new Error('always broken');
        if (mode === 'fatal') throw new UnrecoverableError('bad input');
        return `ok on ${task.attempt}`;
      },
    );
    await worker.start();
    const producer = new Producer({ url: th.wsUrl });
    t.teardown(async () => {
      await producer.close();
      await worker.close({ timeoutMs: 100 });
    });
    const backoff = { type: 'fixed' as const, delayMs: 10 };
    const a = await producer.submit('flaky', { mode: 'third-time' }, { maxAttempts: 3, backoff });
    t.equal(await producer.result(a.id), 'ok on 3');
    t.same(attempts.get(a.id), [1, 2, 3]);

    const b = await producer.submit('flaky', { mode: 'always' }, { maxAttempts: 2, backoff });
    const err = await producer.result(b.id).catch((e: unknown) => e);
    t.type(err, TaskFailedError);
    t.equal((err as TaskFailedError).status, 'dead');
    t.equal((err as TaskFailedError).attempts, 2);
    t.match((err as TaskFailedError).message, /always broken/);
    t.ok(th.hub.core.queues.get('flaky')!.dead.has(b.id), 'in the dead-letter queue');

    const c = await producer.submit('flaky', { mode: 'fatal' }, { maxAttempts: 5, backoff });
    const fatal = (await producer.result(c.id).catch((e: unknown) => e)) as TaskFailedError;
    t.equal(fatal.attempts, 1, 'UnrecoverableError is not retried');
  },
);

t.test(
  'cancel of a running task reaches the handler AbortSignal; progress reaches the producer',
  async (t) => {
    const th = await startTestHub();
    t.teardown(th.stop);
    let aborted: string | undefined;
    const worker = new Worker({ url: th.wsUrl, queues: ['long'] }, async (task) => {
      task.progress({ pct: 10 });
      await new Promise<void>((resolve) => {
        task.signal.addEventListener('abort', () => {
          aborted = String((task.signal.reason as Error).message);
          resolve();
        });
      });
      return 'stopped';
    });
    await worker.start();
    const producer = new Producer({ url: th.wsUrl });
    t.teardown(async () => {
      await producer.close();
      await worker.close({ timeoutMs: 100 });
    });
    const { id } = await producer.submit('long', {});
    const progress = await new Promise((resolve) => producer.onProgress(id, resolve));
    t.same(progress, { pct: 10 });
    await producer.cancel(id, 'user pressed stop');
    const err = (await producer.result(id).catch((e: unknown) => e)) as TaskFailedError;
    t.equal(err.status, 'cancelled');
    for (let i = 0; i < 100 && !aborted; i++) await new Promise((r) => setTimeout(r, 10));
    t.equal(aborted, 'task cancelled', 'the handler saw its signal abort');
  },
);

t.test('a handler may replace its task.signal', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const worker = new Worker({ url: th.wsUrl, queues: ['swap'] }, (task) => {
    const own = new AbortController();
    task.signal = AbortSignal.any([task.signal, own.signal]);
    return task.signal.aborted ? 'aborted' : 'replaced';
  });
  await worker.start();
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await producer.close();
    await worker.close({ timeoutMs: 100 });
  });
  const { id } = await producer.submit('swap', {});
  t.equal(await producer.result(id), 'replaced');
});

t.test(
  'a handler that looks at its signal only after the cancel still sees it aborted',
  async (t) => {
    const th = await startTestHub();
    t.teardown(th.stop);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let seen: string | undefined;
    const worker = new Worker({ url: th.wsUrl, queues: ['slow'] }, async (task) => {
      await gate; // the signal is not touched before the cancel arrives
      seen = task.signal.aborted ? String((task.signal.reason as Error).message) : 'not aborted';
      return 'late';
    });
    worker.on('aborted', () => release());
    await worker.start();
    const producer = new Producer({ url: th.wsUrl });
    t.teardown(async () => {
      await producer.close();
      await worker.close({ timeoutMs: 100 });
    });
    const { id } = await producer.submit('slow', {});
    for (let i = 0; i < 200 && th.hub.core.tasks.get(id)?.state !== 'leased'; i++)
      await new Promise((r) => setTimeout(r, 10));
    await producer.cancel(id, 'changed my mind');
    for (let i = 0; i < 200 && seen === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    t.equal(seen, 'task cancelled');
  },
);

t.test(
  'hub restarted while workers are connected: they reconnect by themselves and work continues',
  async (t) => {
    const port = await freePort();
    const first = await startTestHub({ wsPort: port });
    const worker = new Worker(
      { url: first.wsUrl, queues: ['q'], reconnect: fast },
      async (task) => `done ${String(task.payload)}`,
    );
    await worker.start();
    const producer = new Producer({ url: first.wsUrl, reconnect: fast });
    const before = await producer.submit('q', 1);
    t.equal(await producer.result(before.id), 'done 1');
    await first.stop();
    // The same port, as after a real restart; the kernel may need a moment to release it.
    let second: Awaited<ReturnType<typeof startTestHub>> | undefined;
    for (let i = 0; i < 50 && !second; i++) {
      second = await startTestHub({ wsPort: port }).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    if (!second) throw new Error(`could not restart a hub on port ${port}`);
    t.teardown(async () => {
      await producer.close();
      await worker.close({ timeoutMs: 100 });
      await second!.stop();
    });
    const after = await producer.submit('q', 2);
    t.equal(
      await producer.result(after.id, { timeoutMs: 5000 }),
      'done 2',
      'both reconnected; the new hub ran the task',
    );
    t.equal(
      second.hub.core.workers.get(worker.id)?.id,
      worker.id,
      're-registered under the same id',
    );
  },
);

t.test('worker.close() drains: a running task finishes and no new one is taken', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  let started = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const worker = new Worker({ url: th.wsUrl, queues: ['d'], concurrency: 1 }, async () => {
    started++;
    await gate;
    return 'finished';
  });
  await worker.start();
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(() => producer.close());
  const a = await producer.submit('d', 'a');
  const b = await producer.submit('d', 'b');
  while (started === 0) await new Promise((r) => setTimeout(r, 5));
  const closing = worker.close({ timeoutMs: 5000 });
  await new Promise((r) => setTimeout(r, 50));
  release();
  await closing;
  t.equal(await producer.result(a.id), 'finished', 'the running task completed');
  t.equal(started, 1, 'the second task was not taken');
  t.equal(th.hub.core.tasks.get(b.id)!.state, 'queued', 'it waits for another worker');
});

t.test('a bad token is an AuthError, with no reconnect loop', async (t) => {
  const th = await startTestHub({
    auth: { enabled: true, secret: 'sdk-secret-sdk-secret-sdk-secret-0001' },
  });
  t.teardown(th.stop);
  const producer = new Producer({ url: th.wsUrl, token: 'not-a-jwt', reconnect: fast });
  const statuses: string[] = [];
  producer.on('status', (s) => statuses.push(s.type));
  const err = await producer.submit('q', 1).catch((e: unknown) => e);
  t.type(err, AuthError);
  t.equal((err as AuthError).closeCode, 4001);
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(statuses.includes('reconnecting'), 'did not retry with the same bad token');
});

t.test(
  'a batch over the hub frame limit is refused at once with FRAME_TOO_LARGE; the connection goes on',
  async (t) => {
    const th = await startTestHub(); // maxFrameBytes 64 KB
    t.teardown(th.stop);
    const producer = new Producer({ url: th.wsUrl });
    t.teardown(() => producer.close());
    const started = Date.now();
    const err = await producer
      .submitMany(Array.from({ length: 200 }, () => ({ queue: 'big', payload: 'x'.repeat(1024) })))
      .catch((e: unknown) => e);
    t.type(err, HubError);
    t.equal((err as HubError).code, 'FRAME_TOO_LARGE');
    t.match((err as Error).message, /exceeds the hub's limit of 65536 bytes/);
    t.ok(Date.now() - started < 5000, 'not a request timeout');
    const { id } = await producer.submit('big', 'small');
    t.ok(id, 'the same producer still submits');
  },
);
