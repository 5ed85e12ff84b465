import t from 'tap';
import { mintToken } from '../../server/auth/index.js';
import { startTestHub } from '../helpers/hub.js';
import { RawClient, type AnyFrame } from '../helpers/raw-client.js';
import { restCall } from '../helpers/rest-call.js';

/**
 * A token scoped to queue `a` cannot touch queue `b`: one check per frame type and per REST
 * route that names a queue, each next to the same call on `a` succeeding (so a check that
 * refused everything would fail too).
 */
const SECRET = 'scopes-secret-scopes-secret-scopes-01';

const call = (url: string, method: string, token: string, body?: unknown) =>
  restCall(url, method, { body, token });

const isError = (id: number) => (f: AnyFrame) => f.t === 'error' && f.id === id;

async function setup(t: { teardown(fn: () => unknown): void }) {
  const th = await startTestHub({ auth: { enabled: true, secret: SECRET } });
  t.teardown(th.stop);
  const tok = {
    prodA: await mintToken(SECRET, { role: 'producer', queues: ['a'] }),
    prodB: await mintToken(SECRET, { role: 'producer', queues: ['b'] }),
    workerA: await mintToken(SECRET, { role: 'worker', queues: ['a'] }),
    workerB: await mintToken(SECRET, { role: 'worker', queues: ['b'] }),
    adminA: await mintToken(SECRET, { role: 'admin', queues: ['a'] }),
    admin: await mintToken(SECRET, { role: 'admin' }),
  };
  const api = `${th.httpUrl}/api/v1`;
  const submit = async (queue: string, extra: object = {}) =>
    (await call(`${api}/tasks`, 'POST', tok.admin, { queue, payload: 'secret', ...extra })).json
      .id as string;
  return { th, tok, api, submit };
}

t.test('WebSocket frames', async (t) => {
  const { th, tok, submit } = await setup(t);
  const taskB = await submit('b');
  const count = () => th.hub.core.tasks.size;

  t.test('submit', async (t) => {
    const c = await RawClient.open(th.wsUrl, tok.prodA);
    t.teardown(() => c.close());
    const n = count();
    c.send({ t: 'submit', id: 2, task: { queue: 'b' } });
    const err = await c.next(isError(2));
    t.equal(err.code, 'FORBIDDEN');
    t.match(err.message, /queue b/);
    t.equal(count(), n, 'nothing submitted');
    c.send({ t: 'submit', id: 3, task: { queue: 'a' } });
    t.ok(await c.next((f) => f.t === 'submitted' && f.id === 3), 'queue a is fine');
  });

  t.test('submit_many', async (t) => {
    const c = await RawClient.open(th.wsUrl, tok.prodA);
    t.teardown(() => c.close());
    const n = count();
    c.send({ t: 'submit_many', id: 2, tasks: [{ queue: 'a' }, { queue: 'b' }] });
    t.equal((await c.next(isError(2))).code, 'FORBIDDEN');
    t.equal(count(), n, 'not even the task for a');
    c.send({ t: 'submit_many', id: 3, tasks: [{ queue: 'a' }, { queue: 'a' }] });
    t.ok(await c.next((f) => f.t === 'submitted_many' && f.id === 3));
  });

  t.test('register', async (t) => {
    const c = await RawClient.open(th.wsUrl, tok.workerA);
    t.teardown(() => c.close());
    c.send({ t: 'register', id: 2, queues: ['a', 'b'] });
    t.equal((await c.next(isError(2))).code, 'FORBIDDEN');
    t.equal(th.hub.core.workers.size, 0, 'no worker registered');
    c.send({ t: 'register', id: 3, queues: ['a'] });
    t.ok(await c.next((f) => f.t === 'registered' && f.id === 3));
  });

  t.test('cancel', async (t) => {
    const c = await RawClient.open(th.wsUrl, tok.prodA);
    t.teardown(() => c.close());
    c.send({ t: 'cancel', id: 2, taskId: taskB });
    t.equal((await c.next(isError(2))).code, 'FORBIDDEN');
    t.equal(th.hub.core.tasks.get(taskB)!.state, 'queued', 'still queued');
    const taskA = await submit('a');
    c.send({ t: 'cancel', id: 3, taskId: taskA });
    t.ok(await c.next((f) => f.t === 'ack' && f.id === 3), 'a task of a can be cancelled');
  });

  t.test('watch', async (t) => {
    const c = await RawClient.open(th.wsUrl, tok.prodA);
    t.teardown(() => c.close());
    c.send({ t: 'watch', id: 2, taskIds: [taskB] });
    await c.next((f) => f.t === 'ack' && f.id === 2);
    const err = await c.next((f) => f.t === 'error' && f.taskId === taskB);
    t.equal(err.code, 'TASK_NOT_FOUND', 'a task of b does not exist for a token of a');
    // When taskB finishes, its result (and payload) must not reach this session.
    th.hub.execute({ type: 'task.cancel', now: Date.now(), taskId: taskB });
    await new Promise((r) => setTimeout(r, 100));
    t.notOk(
      c.frames.some((f) => f.t === 'result'),
      'no result of the other queue',
    );
  });

  t.test('progress, complete, fail on a lease of queue b', async (t) => {
    const owner = await RawClient.open(th.wsUrl, tok.workerB);
    t.teardown(() => owner.close());
    owner.send({ t: 'register', id: 2, queues: ['b'], concurrency: 3 });
    const { workerId } = await owner.next((f) => f.t === 'registered');
    const ids = [await submit('b'), await submit('b'), await submit('b')];
    for (const id of ids) await owner.next((f) => f.t === 'task' && f.taskId === id);

    const intruder = await RawClient.open(th.wsUrl, tok.workerA);
    t.teardown(() => intruder.close());
    intruder.send({ t: 'register', id: 2, queues: ['a'] });
    await intruder.next((f) => f.t === 'registered');

    intruder.send({ t: 'progress', taskId: ids[0], attempt: 1, value: 'forged' });
    t.equal(
      (await intruder.next((f) => f.t === 'error' && f.taskId === ids[0])).code,
      'FORBIDDEN',
      'progress refused',
    );
    intruder.send({ t: 'complete', id: 3, taskId: ids[1], attempt: 1, result: 'forged' });
    t.equal((await intruder.next(isError(3))).code, 'FORBIDDEN', 'complete refused');
    intruder.send({
      t: 'fail',
      id: 4,
      taskId: ids[2],
      attempt: 1,
      error: { message: 'forged', retryable: false },
    });
    t.equal((await intruder.next(isError(4))).code, 'FORBIDDEN', 'fail refused');
    for (const id of ids) {
      const task = th.hub.core.tasks.get(id)!;
      t.equal(task.state, 'leased', `${id} still leased`);
      t.equal(task.progress, undefined, 'no forged progress');
      t.equal(task.workerId, workerId, 'held by its owner');
    }
    // The real owner still completes its own task.
    owner.send({ t: 'complete', id: 5, taskId: ids[1], attempt: 1, result: 'real' });
    t.ok(await owner.next((f) => f.t === 'ack' && f.id === 5));
    t.equal(th.hub.core.tasks.get(ids[1])!.result, 'real');
  });
});

t.test('REST routes', async (t) => {
  const { th, tok, api, submit } = await setup(t);
  const taskA = await submit('a');
  const taskB = await submit('b');
  // A dead task in b: leased by a b worker and failed for good.
  const deadB = await submit('b', { maxAttempts: 1 });
  const w = await RawClient.open(th.wsUrl, tok.workerB);
  t.teardown(() => w.close());
  w.send({ t: 'register', id: 2, queues: ['b'], concurrency: 10 });
  await w.next((f) => f.t === 'task' && f.taskId === deadB);
  w.send({
    t: 'fail',
    id: 3,
    taskId: deadB,
    attempt: 1,
    error: { message: 'x', retryable: false },
  });
  await w.next((f) => f.t === 'ack' && f.id === 3);
  w.close();
  await w.closed();
  t.equal(th.hub.core.tasks.get(deadB)!.state, 'dead');
  // taskB went to the worker too and is back in b after the disconnect grace; keep it simple:
  const queuedB = await submit('b-idle');
  const deadA = await submit('a', { maxAttempts: 1 });
  th.hub.execute({ type: 'task.cancel', now: Date.now(), taskId: deadA });

  t.test('tasks: list', async (t) => {
    const denied = await call(`${api}/tasks?queue=b`, 'GET', tok.prodA);
    t.equal(denied.status, 403);
    t.equal(denied.json.error.code, 'FORBIDDEN');
    const all = await call(`${api}/tasks?limit=1000`, 'GET', tok.prodA);
    t.equal(all.status, 200);
    const queues = new Set(all.json.tasks.map((x: { queue: string }) => x.queue));
    t.same([...queues], ['a'], 'an unfiltered list shows only queue a');
    t.equal((await call(`${api}/tasks?queue=a`, 'GET', tok.prodA)).status, 200);
  });

  t.test('tasks: get', async (t) => {
    const res = await call(`${api}/tasks/${taskB}`, 'GET', tok.prodA);
    t.equal(res.status, 403);
    t.notOk(JSON.stringify(res.json).includes('secret'), 'no payload in the refusal');
    t.equal((await call(`${api}/tasks/${taskA}`, 'GET', tok.prodA)).status, 200);
  });

  t.test('tasks: submit one and many', async (t) => {
    const n = th.hub.core.tasks.size;
    t.equal((await call(`${api}/tasks`, 'POST', tok.prodA, { queue: 'b' })).status, 403);
    const many = await call(`${api}/tasks`, 'POST', tok.prodA, {
      tasks: [{ queue: 'a' }, { queue: 'b' }],
    });
    t.equal(many.status, 403);
    t.equal(th.hub.core.tasks.size, n, 'nothing submitted');
    t.equal((await call(`${api}/tasks`, 'POST', tok.prodA, { queue: 'a' })).status, 201);
  });

  t.test('tasks: cancel', async (t) => {
    const res = await call(`${api}/tasks/${queuedB}/cancel`, 'POST', tok.prodA, {});
    t.equal(res.status, 403);
    t.equal(th.hub.core.tasks.get(queuedB)!.state, 'queued');
    const ok = await call(`${api}/tasks/${taskA}/cancel`, 'POST', tok.prodA, {});
    t.equal(ok.status, 200);
  });

  t.test('tasks: retry (an admin scoped to a)', async (t) => {
    const res = await call(`${api}/tasks/${deadB}/retry`, 'POST', tok.adminA);
    t.equal(res.status, 403);
    t.equal(th.hub.core.tasks.get(deadB)!.state, 'dead', 'still dead');
    t.equal(th.hub.core.tasks.get(deadA)!.state, 'cancelled');
  });

  t.test('queues: list, get, pause, resume, dead letters (an admin scoped to a)', async (t) => {
    const list = await call(`${api}/queues`, 'GET', tok.adminA);
    t.equal(list.status, 200);
    t.same(
      list.json.queues.map((q: { name: string }) => q.name),
      ['a'],
      'only queue a is listed',
    );
    t.equal((await call(`${api}/queues/b`, 'GET', tok.adminA)).status, 403);
    t.equal((await call(`${api}/queues/a`, 'GET', tok.adminA)).status, 200);
    t.equal((await call(`${api}/queues/b/pause`, 'POST', tok.adminA)).status, 403);
    t.equal(th.hub.core.queues.get('b')!.paused, false, 'b not paused');
    t.equal((await call(`${api}/queues/zzz/pause`, 'POST', tok.adminA)).status, 403);
    t.notOk(th.hub.core.queues.has('zzz'), 'no queue created by a refused pause');
    await call(`${api}/queues/b/pause`, 'POST', tok.admin);
    t.equal((await call(`${api}/queues/b/resume`, 'POST', tok.adminA)).status, 403);
    t.equal(th.hub.core.queues.get('b')!.paused, true, 'b still paused');
    await call(`${api}/queues/b/resume`, 'POST', tok.admin);
    t.equal((await call(`${api}/queues/b/dead`, 'DELETE', tok.adminA)).status, 403);
    t.equal(th.hub.core.queues.get('b')!.dead.size, 1, 'dead letters of b kept');
    t.equal((await call(`${api}/queues/a/pause`, 'POST', tok.adminA)).status, 200);
    t.equal((await call(`${api}/queues/a/resume`, 'POST', tok.adminA)).status, 200);
    t.equal((await call(`${api}/queues/a/dead`, 'DELETE', tok.adminA)).status, 200);
  });

  t.test('events: a scoped token sees only its queues', async (t) => {
    const res = await fetch(`${api}/events?types=task.submitted`, {
      headers: { authorization: `Bearer ${tok.adminA}` },
    });
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      const deadline = Date.now() + 3000;
      while (!text.includes(needle) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
    };
    const inB = await submit('b');
    const inA = await submit('a');
    await readUntil(inA);
    t.ok(text.includes(inA), 'event of a seen');
    t.notOk(text.includes(inB), 'event of b not seen');
    await reader.cancel();
  });

  t.test('Cortex paths: an HTTP worker of a cannot register on b', async (t) => {
    const res = await call(`${th.httpUrl}/api/workers/register`, 'POST', tok.workerA, {
      queues: ['b'],
    });
    t.equal(res.status, 403);
  });
});
