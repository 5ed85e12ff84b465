/**
 * The handler's task (client/worker-task.ts) is one object per attempt, and a handler that
 * returns a plain value finishes without a promise: what a handler could do with the task
 * before still works, against a real hub.
 */
import t from 'tap';
import { Producer, TaskFailedError, UnrecoverableError, Worker } from '../../index.js';
import { startTestHub } from '../helpers/hub.js';

t.test('progress and childrenValues taken off the task still work', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const worker = new Worker({ url: th.wsUrl, queues: ['parts'] }, async (task) => {
    const { progress, childrenValues, id, payload } = task;
    progress({ step: 1 });
    return { id, payload, children: childrenValues() };
  });
  await worker.start();
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await producer.close();
    await worker.close({ timeoutMs: 100 });
  });
  const { id } = await producer.submit('parts', { n: 1 });
  const progress = new Promise((resolve) => producer.onProgress(id, resolve));
  t.same(await producer.result(id), { id, payload: { n: 1 }, children: {} });
  t.same(await progress, { step: 1 }, 'a destructured progress() reached the producer');
});

t.test('plain values, throws and thenables from a synchronous handler', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const worker = new Worker({ url: th.wsUrl, queues: ['sync'], concurrency: 4 }, (task) => {
    const mode = task.payload as string;
    if (mode === 'value') return 42;
    if (mode === 'undefined') return undefined;
    if (mode === 'throw') throw new UnrecoverableError('no');
    // A thenable that is not a native promise.
    return { then: (ok: (v: string) => void) => setTimeout(() => ok('later'), 10) };
  });
  const completed: unknown[] = [];
  worker.on('completed', (c) => completed.push(c.result));
  await worker.start();
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await producer.close();
    await worker.close({ timeoutMs: 100 });
  });
  const run = async (mode: string) => producer.result((await producer.submit('sync', mode)).id);
  t.equal(await run('value'), 42);
  t.equal(await run('undefined'), null, 'undefined is sent as null');
  t.equal(await run('thenable'), 'later');
  const err = (await run('throw').catch((e: unknown) => e)) as TaskFailedError;
  t.type(err, TaskFailedError);
  t.equal(err.status, 'dead', 'a synchronous throw fails the attempt');
  t.same(completed, [42, undefined, 'later'], "'completed' for each handler that returned");
  t.match(worker.stats(), { completed: 3, failed: 1, inFlight: 0 });
});
