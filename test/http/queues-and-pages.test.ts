import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { restCall } from '../helpers/rest-call.js';

const call = (url: string, method = 'GET', body?: unknown) => restCall(url, method, { body });

t.test('an unknown queue is 404 QUEUE_NOT_FOUND for get, pause, resume and purge', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const api = `${th.httpUrl}/api/v1`;
  for (const [method, p] of [
    ['GET', '/queues/nosuch'],
    ['POST', '/queues/nosuch/pause'],
    ['POST', '/queues/nosuch/resume'],
    ['DELETE', '/queues/nosuch/dead'],
  ] as const) {
    const r = await call(`${api}${p}`, method);
    t.equal(r.status, 404, `${method} ${p}`);
    t.equal(r.json.error.code, 'QUEUE_NOT_FOUND', `${method} ${p}`);
  }
  t.same((await call(`${api}/queues`)).json.queues, [], 'the refused pause created nothing');
  await call(`${api}/tasks`, 'POST', { queue: 'real' });
  t.equal((await call(`${api}/queues/real/pause`, 'POST')).json.paused, true);
  t.equal((await call(`${api}/queues/real`)).json.paused, true);
  t.equal((await call(`${api}/queues/real/resume`, 'POST')).json.paused, false);
});

t.test('a page cursor survives the purge of the task it ended on', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const api = `${th.httpUrl}/api/v1`;
  // One batch: every task shares one createdAt, which is what the old cursor could not order.
  const submitted = await call(`${api}/tasks`, 'POST', {
    tasks: Array.from({ length: 5 }, (_, i) => ({ queue: 'q', payload: i, maxAttempts: 1 })),
  });
  const ids = submitted.json.taskIds as string[];
  const page1 = await call(`${api}/tasks?queue=q&limit=2`);
  t.same(
    page1.json.tasks.map((x: { id: string }) => x.id),
    ids.slice(0, 2),
  );
  t.ok(page1.json.nextCursor);

  // The two tasks of page 1 die (an HTTP worker fails them) and the dead-letter queue is purged.
  await call(`${th.httpUrl}/api/workers/register`, 'POST', {
    workerId: 'w',
    queues: ['q'],
    concurrency: 2,
  });
  const leased = await call(`${th.httpUrl}/api/tasks/assign`, 'POST', { workerId: 'w', max: 2 });
  t.same(
    leased.json.tasks.map((x: { id: string }) => x.id),
    ids.slice(0, 2),
  );
  for (const task of leased.json.tasks as { id: string; attempt: number }[]) {
    const r = await call(`${th.httpUrl}/api/tasks/fail`, 'POST', {
      workerId: 'w',
      taskId: task.id,
      attempt: task.attempt,
      error: { message: 'no', retryable: false },
    });
    t.equal(r.json.state, 'dead');
  }
  t.equal((await call(`${api}/queues/q/dead`, 'DELETE')).json.purged, 2);
  t.equal((await call(`${api}/tasks/${ids[1]}`)).status, 404, 'the cursor task is gone');

  const seen: string[] = [];
  let cursor: string | null = page1.json.nextCursor;
  while (cursor) {
    const page = await call(`${api}/tasks?queue=q&limit=2&cursor=${cursor}`);
    t.equal(page.status, 200);
    seen.push(...page.json.tasks.map((x: { id: string }) => x.id));
    cursor = page.json.nextCursor;
  }
  t.same(seen, ids.slice(2), 'every remaining task, once, in order');

  const bogus = await call(`${api}/tasks?cursor=${Buffer.from('{"c":"x"}').toString('base64url')}`);
  t.equal(bogus.status, 400);
});
