import t from 'tap';
import { startTestHub } from '../helpers/hub.js';

async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

t.test(
  'an HTTP-only worker registers, takes a task, completes and fails without the SDK',
  async (t) => {
    const th = await startTestHub({ core: { httpLeaseTimeoutMs: 400 } });
    t.teardown(th.stop);
    const api = th.httpUrl;

    const reg = await post(`${api}/api/workers/register`, {
      workerId: 'curl-1',
      queues: ['reports'],
      concurrency: 2,
    });
    t.equal(reg.status, 201);
    t.equal(reg.json.worker.id, 'curl-1');
    t.equal(reg.json.leaseTimeoutMs, 400);

    const none = await post(`${api}/api/tasks/assign`, { workerId: 'curl-1' });
    t.same(none.json.tasks, [], 'nothing to do yet');

    const sub = await post(`${api}/api/v1/tasks`, { queue: 'reports', payload: { month: 11 } });
    t.equal(sub.status, 201);
    const sub2 = await post(`${api}/api/v1/tasks`, {
      queue: 'reports',
      payload: { month: 12 },
      maxAttempts: 1,
    });

    const got = await post(`${api}/api/tasks/assign`, { workerId: 'curl-1', max: 5 });
    t.equal(got.json.tasks.length, 2, 'both tasks leased to the HTTP worker');
    const [a, b] = got.json.tasks;
    t.same(a.payload, { month: 11 });
    t.equal(a.attempt, 1);

    const done = await post(`${api}/api/tasks/complete`, {
      workerId: 'curl-1',
      taskId: a.id,
      attempt: 1,
      result: { rows: 3 },
    });
    t.equal(done.status, 200);
    t.equal(done.json.state, 'completed');
    const failed = await post(`${api}/api/tasks/fail`, {
      workerId: 'curl-1',
      taskId: b.id,
      attempt: 1,
      error: { message: 'no data', retryable: false },
    });
    t.equal(failed.json.state, 'dead');

    const again = await post(`${api}/api/tasks/complete`, {
      workerId: 'curl-1',
      taskId: a.id,
      attempt: 1,
    });
    t.equal(again.status, 409, 'completing twice is refused');
    t.equal(again.json.error.code, 'LEASE_NOT_HELD');

    const bad = await post(`${api}/api/tasks/complete`, { workerId: 'curl-1', taskId: a.id });
    t.equal(bad.status, 400);
    t.match(bad.json.error.message, /attempt/, 'the error names the missing field');

    const got2 = await fetch(`${api}/api/v1/tasks/${sub.json.id}`).then((r) => r.json());
    t.same(got2.result, { rows: 3 });
    t.equal(sub2.status, 201);

    const state = await fetch(`${api}/api/state`).then((r) => r.json());
    t.equal(state.workers[0].id, 'curl-1');
    const metrics = await fetch(`${api}/api/metrics`).then((r) => r.json());
    t.equal(metrics.tasks.completed, 1);
    t.equal(metrics.tasks.dead, 1);

    const unreg = await post(`${api}/api/workers/unregister`, { workerId: 'curl-1' });
    t.equal(unreg.status, 200);
  },
);

t.test(
  'the lease of an HTTP worker that stops calling expires and the task is requeued',
  async (t) => {
    const th = await startTestHub({ core: { httpLeaseTimeoutMs: 300 } });
    t.teardown(th.stop);
    const api = th.httpUrl;
    await post(`${api}/api/workers/register`, { workerId: 'flaky', queues: ['q'] });
    const sub = await post(`${api}/api/v1/tasks`, { queue: 'q', payload: 1 });
    const got = await post(`${api}/api/tasks/assign`, { workerId: 'flaky' });
    t.equal(got.json.tasks[0].id, sub.json.id);
    // The worker goes silent.
    await new Promise((r) => setTimeout(r, 800));
    const task = await fetch(`${api}/api/v1/tasks/${sub.json.id}`).then((r) => r.json());
    t.equal(task.state, 'queued', 'back in the queue');
    t.equal(task.attempt, 1, 'the lost attempt is counted');
    const gone = await post(`${api}/api/tasks/complete`, {
      workerId: 'flaky',
      taskId: sub.json.id,
      attempt: 1,
    });
    t.equal(gone.status, 409, 'a late completion is refused');
    await post(`${api}/api/workers/register`, { workerId: 'steady', queues: ['q'] });
    const retaken = await post(`${api}/api/tasks/assign`, { workerId: 'steady' });
    t.equal(retaken.json.tasks[0].attempt, 2, 'another worker gets attempt 2');
  },
);

t.test(
  'results reach producers and HTTP workers even when the hub keeps no finished task',
  async (t) => {
    // maxFinishedTasks 0: every task is evicted by the very command that finishes it.
    const th = await startTestHub({ core: { maxFinishedTasks: 0 } });
    t.teardown(th.stop);
    const api = th.httpUrl;
    await post(`${api}/api/workers/register`, { workerId: 'curl-2', queues: ['q'] });
    await post(`${api}/api/v1/tasks`, { queue: 'q', payload: 1 });
    const got = await post(`${api}/api/tasks/assign`, { workerId: 'curl-2' });
    const task = got.json.tasks[0];
    const done = await post(`${api}/api/tasks/complete`, {
      workerId: 'curl-2',
      taskId: task.id,
      attempt: task.attempt,
      result: 'ok',
    });
    t.equal(done.status, 200, 'the completion is answered, not a 500');
    t.equal(done.json.state, 'completed');
    t.equal(th.hub.core.tasks.has(task.id), false, 'and the task is already gone');

    const { Producer, Worker } = await import('../../index.js');
    const worker = new Worker(
      { url: th.wsUrl, queues: ['ws'], concurrency: 4 },
      async (x) => Number(x.payload) * 2,
    );
    await worker.start();
    const producer = new Producer({ url: th.wsUrl });
    t.teardown(async () => {
      await producer.close();
      await worker.close({ timeoutMs: 100 });
    });
    const { ids } = await producer.submitMany(
      Array.from({ length: 20 }, (_, i) => ({ queue: 'ws', payload: i })),
    );
    t.same(
      await Promise.all(ids.map((id) => producer.result(id))),
      Array.from({ length: 20 }, (_, i) => i * 2),
      'every producer got its result',
    );
  },
);
