import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { RawClient, type AnyFrame } from '../helpers/raw-client.js';

for (const transport of ['uws', 'ws'] as const) {
  t.test(`priority order is honoured (${transport})`, async (t) => {
    const th = await startTestHub({ transport });
    t.teardown(th.stop);
    const producer = await RawClient.open(th.wsUrl);
    t.teardown(() => producer.close());
    const order = ['low', 'normal', 'high', 'critical', 'low', 'critical', 'normal', 'high'];
    producer.send({
      t: 'submit_many',
      id: 2,
      tasks: order.map((priority, i) => ({ queue: 'prio', priority, payload: `${priority}-${i}` })),
    });
    await producer.next((f) => f.t === 'submitted_many');
    // The worker connects after the queue filled, with one slot: it sees strict priority order.
    const worker = await RawClient.open(th.wsUrl);
    t.teardown(() => worker.close());
    worker.send({ t: 'register', id: 1, queues: ['prio'], concurrency: 1 });
    const seen: string[] = [];
    for (let i = 0; i < order.length; i++) {
      const task = await worker.next((f) => f.t === 'task');
      seen.push(String(task.payload));
      worker.send({ t: 'complete', taskId: task.taskId, attempt: task.attempt, result: null });
    }
    t.same(
      seen,
      ['critical-3', 'critical-5', 'high-2', 'high-7', 'normal-1', 'normal-6', 'low-0', 'low-4'],
      'by level, FIFO within a level',
    );
  });

  t.test(`capability routing (${transport})`, async (t) => {
    const th = await startTestHub({ transport });
    t.teardown(th.stop);
    const gpu = await RawClient.open(th.wsUrl);
    const cpu = await RawClient.open(th.wsUrl);
    const producer = await RawClient.open(th.wsUrl);
    t.teardown(() => [gpu, cpu, producer].forEach((c) => c.close()));
    gpu.send({
      t: 'register',
      id: 1,
      queues: ['render'],
      capabilities: ['gpu', 'linux'],
      concurrency: 10,
    });
    cpu.send({
      t: 'register',
      id: 1,
      queues: ['render'],
      capabilities: ['linux'],
      concurrency: 10,
    });
    await gpu.next((f) => f.t === 'registered');
    await cpu.next((f) => f.t === 'registered');
    const tasks = [];
    for (let i = 0; i < 10; i++)
      tasks.push({ queue: 'render', payload: i, requires: i % 2 ? ['gpu'] : [] });
    tasks.push({ queue: 'render', payload: 'nobody', requires: ['tpu'] });
    producer.send({ t: 'submit_many', id: 2, tasks });
    await producer.next((f) => f.t === 'submitted_many');
    const deadline = Date.now() + 3000;
    const count = (): number =>
      [gpu, cpu].reduce((n, c) => n + c.frames.filter((f) => f.t === 'task').length, 0);
    while (count() < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const got: AnyFrame[] = [...gpu.frames, ...cpu.frames].filter((f) => f.t === 'task');
    // Every task requiring gpu went to the gpu worker.
    const byWorker = new Map<string, string>();
    for (const task of th.hub.core.tasks.values())
      if (task.workerId) byWorker.set(String(task.payload), task.workerId);
    const gpuId = [...th.hub.core.workers.values()].find((w) => w.capabilities.has('gpu'))!.id;
    for (let i = 1; i < 10; i += 2)
      t.equal(byWorker.get(String(i)), gpuId, `task ${i} (requires gpu) ran on the gpu worker`);
    const tpu = [...th.hub.core.tasks.values()].find((x) => x.payload === 'nobody')!;
    t.equal(tpu.state, 'queued', 'a task nobody can run waits');
    t.equal(got.length, 10, 'and did not block the others');
  });

  t.test(
    `a worker whose socket is destroyed mid-task: the task re-runs elsewhere after the grace period (${transport})`,
    async (t) => {
      const th = await startTestHub({
        transport,
        core: { disconnectGraceMs: 300, heartbeatTimeoutMs: 5000 },
      });
      t.teardown(th.stop);
      const doomed = await RawClient.open(th.wsUrl);
      doomed.send({ t: 'register', id: 1, workerId: 'doomed', queues: ['jobs'], concurrency: 1 });
      await doomed.next((f) => f.t === 'registered');
      const producer = await RawClient.open(th.wsUrl);
      t.teardown(() => producer.close());
      producer.send({ t: 'submit', id: 2, task: { queue: 'jobs', payload: 'important' } });
      const { taskId } = await producer.next((f) => f.t === 'submitted');
      const first = await doomed.next((f) => f.t === 'task');
      t.equal(first.attempt, 1);
      const killedAt = Date.now();
      doomed.terminate();

      const rescuer = await RawClient.open(th.wsUrl);
      t.teardown(() => rescuer.close());
      rescuer.send({ t: 'register', id: 1, queues: ['jobs'] });
      const again = await rescuer.next((f) => f.t === 'task', 5000);
      t.equal(again.taskId, taskId, 'the same task');
      t.equal(again.attempt, 2, 'as attempt 2');
      t.ok(Date.now() - killedAt >= 250, 'not before the grace period');
      rescuer.send({ t: 'complete', id: 9, taskId, attempt: 2, result: 'done' });
      const result = await producer.next((f) => f.t === 'result');
      t.equal(result.status, 'completed');
      t.equal(result.result, 'done');
    },
  );

  t.test(
    `a worker that reconnects within the grace period keeps its lease (${transport})`,
    async (t) => {
      const th = await startTestHub({ transport, core: { disconnectGraceMs: 2000 } });
      t.teardown(th.stop);
      const w1 = await RawClient.open(th.wsUrl);
      w1.send({ t: 'register', id: 1, workerId: 'steady', queues: ['jobs'] });
      await w1.next((f) => f.t === 'registered');
      const producer = await RawClient.open(th.wsUrl);
      t.teardown(() => producer.close());
      producer.send({ t: 'submit', id: 2, task: { queue: 'jobs' } });
      const task = await w1.next((f) => f.t === 'task');
      w1.terminate();
      await new Promise((r) => setTimeout(r, 100));
      const w2 = await RawClient.open(th.wsUrl);
      t.teardown(() => w2.close());
      w2.send({
        t: 'register',
        id: 1,
        workerId: 'steady',
        queues: ['jobs'],
        running: [{ taskId: task.taskId, attempt: 1 }],
      });
      const reg = await w2.next((f) => f.t === 'registered');
      t.same(reg.resumed, [task.taskId], 'lease resumed');
      w2.send({ t: 'complete', id: 3, taskId: task.taskId, attempt: 1, result: 42 });
      t.ok(await w2.next((f) => f.t === 'ack' && f.id === 3), 'completion accepted');
      const result = await producer.next((f) => f.t === 'result');
      t.equal(result.result, 42);
    },
  );

  t.test(
    `a late completion from a worker that lost its lease is refused (${transport})`,
    async (t) => {
      const th = await startTestHub({ transport, core: { disconnectGraceMs: 100 } });
      t.teardown(th.stop);
      const slow = await RawClient.open(th.wsUrl);
      slow.send({ t: 'register', id: 1, workerId: 'slow', queues: ['jobs'] });
      await slow.next((f) => f.t === 'registered');
      const producer = await RawClient.open(th.wsUrl);
      t.teardown(() => producer.close());
      producer.send({ t: 'submit', id: 2, task: { queue: 'jobs' } });
      const task = await slow.next((f) => f.t === 'task');
      slow.terminate();
      const other = await RawClient.open(th.wsUrl);
      t.teardown(() => other.close());
      other.send({ t: 'register', id: 1, workerId: 'other', queues: ['jobs'] });
      const reassigned = await other.next((f) => f.t === 'task');
      t.equal(reassigned.attempt, 2);
      // The slow worker comes back (without claiming) and tries to complete attempt 1.
      const back = await RawClient.open(th.wsUrl);
      t.teardown(() => back.close());
      back.send({ t: 'register', id: 1, workerId: 'slow', queues: ['other-queue'] });
      await back.next((f) => f.t === 'registered');
      back.send({ t: 'complete', id: 5, taskId: task.taskId, attempt: 1, result: 'stale' });
      const err = await back.next((f) => f.t === 'error' && f.id === 5);
      t.equal(err.code, 'LEASE_NOT_HELD');
      other.send({ t: 'complete', id: 6, taskId: task.taskId, attempt: 2, result: 'fresh' });
      const result = await producer.next((f) => f.t === 'result');
      t.equal(result.result, 'fresh', 'only the current attempt completes the task');
    },
  );

  t.test(`a result reaches its submitter and every watcher once (${transport})`, async (t) => {
    const th = await startTestHub({ transport });
    t.teardown(th.stop);
    const producer = await RawClient.open(th.wsUrl);
    const watcher = await RawClient.open(th.wsUrl);
    const worker = await RawClient.open(th.wsUrl);
    t.teardown(() => [producer, watcher, worker].forEach((c) => c.close()));
    producer.send({ t: 'submit', id: 2, task: { queue: 'jobs', payload: 'in' } });
    const { taskId } = await producer.next((f) => f.t === 'submitted');
    // The submitter watches its own task as well: it still gets the result once.
    producer.send({ t: 'watch', id: 3, taskIds: [taskId] });
    watcher.send({ t: 'watch', id: 3, taskIds: [taskId] });
    await producer.next((f) => f.t === 'ack' && f.id === 3);
    await watcher.next((f) => f.t === 'ack' && f.id === 3);
    worker.send({ t: 'register', id: 1, queues: ['jobs'] });
    const task = await worker.next((f) => f.t === 'task');
    worker.send({ t: 'complete', id: 4, taskId, attempt: task.attempt, result: 'out' });
    await worker.next((f) => f.t === 'ack' && f.id === 4);
    const mine = await producer.next((f) => f.t === 'result');
    const theirs = await watcher.next((f) => f.t === 'result');
    t.same([mine.result, theirs.result], ['out', 'out']);
    // A round trip later nothing more came: one result each.
    for (const c of [producer, watcher]) {
      c.send({ t: 'heartbeat', id: 9 });
      await c.next((f) => f.t === 'ack' && f.id === 9);
      t.equal(c.frames.filter((f) => f.t === 'result').length, 0, 'no second result');
    }
  });
}
