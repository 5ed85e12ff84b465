import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { requireTool } from '../helpers/requires.js';
import { startCluster } from '../helpers/cluster.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (requireTool('redis')) {
  t.test('a task submitted to one hub runs on a worker connected to the other', async (t) => {
    const c = await startCluster(t, 2);
    await c.start(0);
    await c.start(1);
    const lead = await c.leader();
    const edge = 1 - lead;
    t.equal((await c.health(edge)).role, 'edge', 'the other hub relays');
    t.equal((await c.health(edge)).leader, `hub${lead}`, 'and knows who leads');

    const seen: string[] = [];
    const worker = new Worker(
      { url: c.hubs[edge]!.wsUrl, queues: ['cross'], concurrency: 4 },
      async (task) => {
        seen.push(String(task.id));
        return { doubled: (task.payload as number) * 2 };
      },
    );
    await worker.start();
    const producer = new Producer({ url: c.hubs[lead]!.wsUrl });
    t.teardown(async () => {
      await producer.close();
      await worker.close({ timeoutMs: 100 });
    });
    const { ids } = await producer.submitMany(
      Array.from({ length: 50 }, (_, i) => ({ queue: 'cross', payload: i })),
    );
    const results = await Promise.all(ids.map((id) => producer.result(id)));
    t.same(
      results,
      Array.from({ length: 50 }, (_, i) => ({ doubled: i * 2 })),
      'every result reached the producer',
    );
    t.equal(seen.length, 50, 'each task ran once, on the worker of the other hub');

    // The REST API answers on either hub: the edge forwards to the leader.
    const viaEdge = await fetch(`${c.hubs[edge]!.httpUrl}/api/v1/tasks/${ids[7]}`);
    t.equal(viaEdge.status, 200);
    const body = (await viaEdge.json()) as { state: string; result: unknown };
    t.equal(body.state, 'completed');
    t.same(body.result, { doubled: 14 });

    // A producer on the edge, a worker on the leader: the other way round.
    const producer2 = new Producer({ url: c.hubs[edge]!.wsUrl });
    t.teardown(() => producer2.close());
    const { id } = await producer2.submit('cross', 21);
    t.same(await producer2.result(id), { doubled: 42 }, 'a submit through the edge runs too');
  });

  t.test(
    'SIGKILL of the leader: the other hub takes over with every acknowledged task',
    async (t) => {
      const c = await startCluster(t, 2);
      await c.start(0);
      await sleep(200);
      await c.start(1);
      const lead = await c.leader();
      const other = 1 - lead;
      const producer = new Producer({ url: c.hubs[lead]!.wsUrl });
      const { ids } = await producer.submitMany(
        Array.from({ length: 200 }, (_, i) => ({ queue: 'survive', payload: i })),
      );
      t.equal(ids.length, 200, '200 submits acknowledged by the leader');
      await producer.close().catch(() => undefined);
      const killedAt = Date.now();
      c.children[lead]!.proc.kill('SIGKILL');
      await c.children[lead]!.exited;
      const next = await c.leader(10_000);
      const tookOverMs = Date.now() - killedAt;
      t.equal(next, other, 'the surviving hub leads');
      t.ok(tookOverMs < 5000, `it serves again within 5 s (took ${tookOverMs} ms)`);

      const ran = new Map<number, number>();
      const worker = new Worker(
        { url: c.hubs[other]!.wsUrl, queues: ['survive'], concurrency: 16 },
        async (task) => {
          const i = task.payload as number;
          ran.set(i, (ran.get(i) ?? 0) + 1);
          return i;
        },
      );
      await worker.start();
      const p2 = new Producer({ url: c.hubs[other]!.wsUrl });
      t.teardown(async () => {
        await p2.close();
        await worker.close({ timeoutMs: 100 });
      });
      const results = await Promise.all(ids.map((id) => p2.result(id)));
      t.same(
        results,
        Array.from({ length: 200 }, (_, i) => i),
        'no acknowledged task was lost',
      );
      t.equal([...ran.values()].filter((n) => n > 1).length, 0, 'none ran twice');
    },
  );

  t.test(
    'a leader paused past its lease is fenced, steps down and rejoins as an edge',
    async (t) => {
      const c = await startCluster(t, 2);
      await c.start(0);
      await sleep(200);
      await c.start(1);
      const lead = await c.leader();
      const other = 1 - lead;
      const pid = c.children[lead]!.proc.pid!;
      process.kill(pid, 'SIGSTOP');
      const next = await c.leader(10_000).catch(() => -1);
      t.equal(next, other, 'the other hub took the lease while the leader was stopped');
      // A submit to the new leader is acknowledged while the old one is still frozen.
      const producer = new Producer({ url: c.hubs[other]!.wsUrl });
      t.teardown(() => producer.close());
      const { id } = await producer.submit('fenced', 'after');
      process.kill(pid, 'SIGCONT');
      // The old leader finds its lease gone (its writes are refused) and serves as an edge.
      let role: string | undefined;
      for (let i = 0; i < 100 && role !== 'edge'; i++) {
        await sleep(100);
        role = await c.health(lead).then(
          (h) => h.role,
          () => undefined,
        );
      }
      t.equal(role, 'edge', 'the paused hub rejoined as an edge');
      const epochs = await c.redis.get(`{sb:${c.prefix}}:epoch`);
      t.ok(Number(epochs) >= 2, 'the lease was taken twice (the fencing epoch moved)');
      const worker = new Worker(
        { url: c.hubs[lead]!.wsUrl, queues: ['fenced'], concurrency: 1 },
        async (task) => `ran ${String(task.payload)}`,
      );
      await worker.start();
      t.teardown(() => worker.close({ timeoutMs: 100 }));
      t.equal(
        await producer.result(id),
        'ran after',
        'the task submitted meanwhile runs, through the rejoined hub',
      );
    },
  );

  t.test(
    'a leader killed and restarted under the same hub id leads again: the edge resets its relayed clients at once',
    async (t) => {
      const c = await startCluster(t, 2);
      await c.start(0);
      await sleep(200);
      await c.start(1);
      t.equal(await c.leader(), 0, 'hub0 leads');
      const ran: unknown[] = [];
      const worker = new Worker(
        { url: c.hubs[1]!.wsUrl, queues: ['same-id'], reconnect: { initialDelayMs: 20 } },
        async (task) => {
          ran.push(task.payload);
          return task.payload;
        },
      );
      await worker.start();
      t.teardown(() => worker.close({ timeoutMs: 100 }));

      // hub1 is frozen while hub0 dies and comes back, so hub1 cannot take the lease and
      // never sees the cluster without a leader: only the epoch tells it the leader changed.
      const edgePid = c.children[1]!.proc.pid!;
      process.kill(edgePid, 'SIGSTOP');
      c.children[0]!.proc.kill('SIGKILL');
      await c.children[0]!.exited;
      await c.start(0);
      let role: string | undefined;
      for (let i = 0; i < 100 && role !== 'leader'; i++) {
        await sleep(100);
        role = await c.health(0).then(
          (h) => h.role,
          () => undefined,
        );
      }
      t.equal(role, 'leader', 'the restarted hub0 leads again');
      process.kill(edgePid, 'SIGCONT');

      const producer = new Producer({ url: c.hubs[0]!.wsUrl });
      t.teardown(() => producer.close());
      const { id } = await producer.submit('same-id', 'after');
      const startedAt = Date.now();
      // The worker's relayed connection belonged to the dead process: until the edge resets
      // it, its frames reach no session, and only its heartbeat timeout (15 s) would end it.
      t.equal(await producer.result(id, { timeoutMs: 6000 }), 'after', 'the task ran');
      t.ok(Date.now() - startedAt < 6000, 'the worker behind the edge ran it within seconds');
    },
  );
}

if (requireTool('redis')) {
  t.test(
    'across hubs: progress and cancel reach the other hub, and the event stream is served by either',
    async (t) => {
      const c = await startCluster(t, 2);
      await c.start(0);
      await sleep(200);
      await c.start(1);
      const lead = await c.leader();
      const edge = 1 - lead;

      // The event stream read through the edge (forwarded to the leader's).
      const events = await fetch(`${c.hubs[edge]!.httpUrl}/api/v1/events`);
      t.equal(events.status, 200);
      t.match(events.headers.get('content-type'), /text\/event-stream/);
      const reader = events.body!.getReader();
      let streamed = '';
      const readStream = (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          streamed += new TextDecoder().decode(value);
        }
      })().catch(() => undefined);

      let aborted = false;
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      let listen!: () => void;
      const listening = new Promise<void>((r) => (listen = r));
      const worker = new Worker(
        { url: c.hubs[edge]!.wsUrl, queues: ['long'], concurrency: 1 },
        async (task) => {
          // Only once the producer listens: progress is not kept for late listeners.
          await listening;
          task.progress({ pct: 50 });
          started();
          await new Promise<void>((resolve) => {
            task.signal.addEventListener('abort', () => {
              aborted = true;
              resolve();
            });
          });
          return 'ignored';
        },
      );
      await worker.start();
      const producer = new Producer({ url: c.hubs[lead]!.wsUrl });
      t.teardown(async () => {
        await reader.cancel().catch(() => undefined);
        await producer.close();
        await worker.close({ timeoutMs: 100 });
      });
      const { id } = await producer.submit('long', 'x');
      const progress = new Promise<unknown>((resolve) => producer.onProgress(id, resolve));
      listen();
      await running;
      t.same(
        await progress,
        { pct: 50 },
        'progress from a worker on the edge reached the producer on the leader',
      );
      await producer.cancel(id, 'changed my mind');
      for (let i = 0; i < 50 && !aborted; i++) await sleep(50);
      t.ok(aborted, 'the cancel reached the running handler on the other hub');
      const task = (await (await fetch(`${c.hubs[edge]!.httpUrl}/api/v1/tasks/${id}`)).json()) as {
        state: string;
      };
      t.equal(task.state, 'cancelled');
      for (let i = 0; i < 50 && !streamed.includes(id); i++) await sleep(50);
      t.match(streamed, id, "the task's events came through the edge's stream");
      await reader.cancel().catch(() => undefined);
      await readStream;
    },
  );
}
