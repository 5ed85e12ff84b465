/**
 * The gateway against a real hub: the one place every transport's operation is decided. Each
 * refusal here is what a WebSocket frame, a REST call or the CLI gets back (those suites check
 * the rendering); this suite checks the rule itself, per operation, and that a refused
 * operation changed nothing: the phase gate (NOT_READY while recovering, SHUTTING_DOWN while
 * draining), roles, worker identity, token queues, and a change the disk would not keep.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { OPEN_GRANT, type Grant } from '../../server/auth/index.js';
import type { Caller } from '../../server/gateway/caller.js';
import { NO_REPLY } from '../../server/gateway/gateway.js';
import { OperationError } from '../../server/gateway/operation-error.js';
import { VolatileStore } from '../../server/hub/hub-store.js';
import { Hub } from '../../server/hub/hub.js';
import { WalStore } from '../../server/store/index.js';
import { nodeWalFileOps, type WalFileOps } from '../../server/store/wal-files.js';
import { startTestHub } from '../helpers/hub.js';

const grant = (role: Grant['role'], identity: string, queues?: string[]): Grant => ({
  ...OPEN_GRANT,
  role,
  queues,
  subject: identity,
  identity: `sub:${identity}`,
});
const as = (g: Grant, extra: Partial<Caller> = {}): Caller => ({ grant: g, ...extra });

const admin = as(grant('admin', 'ops'));
const producer = as(grant('producer', 'app'));
const producerA = as(grant('producer', 'app-a', ['a', 'a.*']));
const workerAlice = as(grant('worker', 'alice'));
const workerBob = as(grant('worker', 'bob'));

/** The code of the OperationError `fn` throws (or its promise rejects with). */
async function refused(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof OperationError) return err.code;
    throw err;
  }
  throw new Error('the operation was not refused');
}

t.test('roles: each operation refuses the roles it is not for', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const gw = th.hub.gateway;
  const { taskIds } = await gw.submit(producer, [{ queue: 'q', payload: 1 }]);
  const taskId = taskIds[0]!;
  const before = th.hub.core.tasks.size;

  t.equal(await refused(() => gw.submit(workerAlice, [{ queue: 'q' }])), 'FORBIDDEN', 'submit');
  t.equal(await refused(() => gw.cancel(workerAlice, taskId)), 'FORBIDDEN', 'cancel');
  t.equal(await refused(() => gw.task(workerAlice, taskId)), 'FORBIDDEN', 'read a task');
  t.equal(await refused(() => gw.listTasks(workerAlice, { limit: 10 })), 'FORBIDDEN', 'list');
  t.equal(await refused(() => gw.watch(workerAlice, [taskId], false)), 'FORBIDDEN', 'watch');
  t.equal(await refused(() => gw.retry(producer, taskId)), 'FORBIDDEN', 'retry is for admins');
  t.equal(
    await refused(() => gw.register(producer, { kind: 'pull', queues: ['q'] })),
    'FORBIDDEN',
    'a producer may not register as a worker',
  );
  t.equal(await refused(() => gw.queues(producer)), 'FORBIDDEN', 'queues are for admins');
  t.equal(await refused(() => gw.queue(workerAlice, 'q')), 'FORBIDDEN');
  t.equal(await refused(() => gw.pauseQueue(producer, 'q')), 'FORBIDDEN', 'pause');
  t.equal(await refused(() => gw.purgeDead(producer, 'q')), 'FORBIDDEN', 'purge');
  t.equal(await refused(() => gw.workers(producer)), 'FORBIDDEN', 'workers are for admins');
  t.equal(await refused(() => gw.disconnect(producer, 'w1')), 'FORBIDDEN', 'disconnect');
  try {
    await gw.submit(workerAlice, [{ queue: 'q' }]);
  } catch (err) {
    t.match((err as Error).message, 'role worker may not submit tasks', 'the message says why');
  }
  t.equal(th.hub.core.tasks.size, before, 'no refusal created a task');
  t.equal(th.hub.core.tasks.get(taskId)?.state, 'queued', 'or touched the existing one');
  t.equal(th.hub.core.workers.size, 0, 'or a worker');
  t.equal(th.hub.core.queues.get('q')?.paused, false);

  t.same(gw.task(admin, taskId).id, taskId, 'an admin may do what a producer may');
  await gw.cancel(admin, taskId, 'by ops');
  t.equal(th.hub.core.tasks.get(taskId)?.state, 'cancelled');
});

t.test("token queues: a scoped caller cannot touch or see another queue's work", async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const gw = th.hub.gateway;
  const inB = (await gw.submit(producer, [{ queue: 'b', payload: 'secret' }])).taskIds[0]!;
  const inA = (await gw.submit(producerA, [{ queue: 'a.x' }])).taskIds[0]!;
  const size = th.hub.core.tasks.size;

  t.equal(await refused(() => gw.submit(producerA, [{ queue: 'b' }])), 'FORBIDDEN');
  t.equal(
    await refused(() => gw.submit(producerA, [{ queue: 'a' }, { queue: 'b' }])),
    'FORBIDDEN',
    'a batch with one forbidden queue',
  );
  t.equal(th.hub.core.tasks.size, size, 'is refused whole: not even the allowed one was made');
  t.equal(await refused(() => gw.task(producerA, inB)), 'FORBIDDEN', 'read');
  t.equal(await refused(() => gw.cancel(producerA, inB)), 'FORBIDDEN', 'cancel');
  t.equal(th.hub.core.tasks.get(inB)?.state, 'queued', 'still queued');
  t.equal(
    await refused(() => gw.listTasks(producerA, { queue: 'b', limit: 10 })),
    'FORBIDDEN',
    'list a forbidden queue by name',
  );
  t.same(
    gw.listTasks(producerA, { limit: 10 }).tasks.map((x) => x.id),
    [inA],
    'an unfiltered list shows only allowed queues',
  );
  const w = gw.watch(producerA, [inB, inA, 'no-such-task'], false);
  t.same(w.missing, [inB, 'no-such-task'], 'watching a forbidden task looks like an unknown one');
  t.same(w.finished, []);

  const scopedWorker = as(grant('worker', 'carol', ['a.*']));
  t.equal(
    await refused(() => gw.register(scopedWorker, { kind: 'pull', queues: ['a.x', 'b'] })),
    'FORBIDDEN',
    'register for a queue the token does not allow',
  );
  t.equal(th.hub.core.workers.size, 0);

  const scopedAdmin = as(grant('admin', 'ops-a', ['a.*']));
  t.same(
    gw.queues(scopedAdmin).map((q) => q.name),
    ['a.x'],
    'a scoped admin lists only its queues',
  );
  t.equal(await refused(() => gw.queue(scopedAdmin, 'b')), 'FORBIDDEN');
  t.equal(await refused(() => gw.retry(scopedAdmin, inB)), 'FORBIDDEN');
  t.equal(await refused(() => gw.queue(admin, 'nope')), 'QUEUE_NOT_FOUND');
  t.equal(await refused(() => gw.task(admin, 'nope')), 'TASK_NOT_FOUND');
  t.equal(await refused(() => gw.worker(admin, 'nope')), 'WORKER_NOT_FOUND');
});

t.test('worker identity: only the identity that registered a worker acts as it', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const gw = th.hub.gateway;
  const reg = gw.register(workerAlice, { kind: 'pull', queues: ['jobs'], concurrency: 2 });
  t.match(reg.workerId, /^http-/, 'the hub names a worker that did not name itself');
  const id = reg.workerId;
  await gw.submit(producer, [{ queue: 'jobs', payload: 1 }]);

  t.equal(await refused(() => gw.pull(workerBob, id, 1)), 'FORBIDDEN', 'pull as another');
  t.equal(await refused(() => gw.heartbeat(workerBob, id)), 'FORBIDDEN', 'heartbeat');
  t.equal(await refused(() => gw.unregister(workerBob, id)), 'FORBIDDEN', 'unregister');
  t.equal(await refused(() => gw.drain(workerBob, id)), 'FORBIDDEN', 'drain');
  t.equal(await refused(() => gw.pull(workerAlice, 'w-unknown', 1)), 'WORKER_NOT_FOUND');
  t.equal(th.hub.core.queues.get('jobs')?.leased, 0, 'nothing was leased by the refusals');

  const [task] = await gw.pull(workerAlice, id, 1);
  t.ok(task, 'its owner pulls');
  t.equal(
    await refused(() =>
      gw.complete(workerBob, {
        workerId: id,
        taskId: task!.id,
        attempt: task!.attempt,
        result: 'stolen',
      }),
    ),
    'FORBIDDEN',
    'completing another identity’s lease',
  );
  t.equal(
    await refused(() =>
      gw.fail(workerBob, {
        workerId: id,
        taskId: task!.id,
        attempt: task!.attempt,
        error: { message: 'x' },
      }),
    ),
    'FORBIDDEN',
  );
  t.equal(
    await refused(() => gw.progress(workerBob, id, task!.id, task!.attempt, 50)),
    'FORBIDDEN',
  );
  t.equal(th.hub.core.tasks.get(task!.id)?.state, 'leased', 'the lease is untouched');

  const unbound = as(workerAlice.grant, { session: 'c-x' });
  t.equal(
    await refused(() =>
      gw.complete(unbound, { workerId: id, taskId: task!.id, attempt: task!.attempt, result: 1 }),
    ),
    'NOT_REGISTERED',
    'a connection that never registered sends worker frames',
  );
  t.equal(
    await refused(() =>
      gw.complete(workerAlice, {
        workerId: id,
        taskId: task!.id,
        attempt: task!.attempt + 1,
        result: 1,
      }),
    ),
    'LEASE_NOT_HELD',
    'a stale attempt',
  );
  // An admin may act as any worker, but a token scoped to other queues may not report on
  // this one: neither when it waits for the outcome nor when it does not (a frame without id).
  const scopedAdmin = as(grant('admin', 'ops-a', ['a.*']));
  const report = { workerId: id, taskId: task!.id, attempt: task!.attempt, result: 1 };
  t.equal(await refused(() => gw.complete(scopedAdmin, report)), 'FORBIDDEN', 'scoped admin');
  t.equal(
    await refused(() => gw.complete(scopedAdmin, report, NO_REPLY)),
    'FORBIDDEN',
    'scoped admin, nobody waiting',
  );
  t.equal(th.hub.core.tasks.get(task!.id)?.state, 'leased', 'the lease is still untouched');
  gw.progress(workerAlice, id, task!.id, task!.attempt, { pct: 50 });
  await gw.complete(workerAlice, {
    workerId: id,
    taskId: task!.id,
    attempt: task!.attempt,
    result: 'done',
  });
  t.equal(th.hub.core.tasks.get(task!.id)?.state, 'completed', 'its owner completes');

  t.same(gw.worker(admin, id).id, id, 'an admin reads any worker');
  gw.heartbeat(admin, id); // and acts as it
  gw.unregister(workerAlice, id);
  t.equal(th.hub.core.workers.size, 0);
  t.equal(
    await refused(() =>
      gw.complete(workerAlice, {
        workerId: id,
        taskId: task!.id,
        attempt: task!.attempt,
        result: 1,
      }),
    ),
    'LEASE_NOT_HELD',
    'a late report from a removed worker holds no lease',
  );
});

t.test('phase gate: NOT_READY while the hub recovers its state', async (t) => {
  const hub = new Hub({
    host: '127.0.0.1',
    wsPort: 0,
    maxFrameBytes: 64 * 1024,
    maxBackpressureBytes: 1 << 20,
    handshakeTimeoutMs: 2000,
    heartbeatIntervalMs: 1000,
    transport: 'auto',
    auth: { enabled: false },
    core: {},
    store: new VolatileStore(),
    logger: pino({ level: 'silent' }),
    version: 'test',
    processMetrics: false,
  });
  const gw = hub.gateway;
  t.equal(await refused(() => gw.submit(producer, [{ queue: 'q' }])), 'NOT_READY', 'not started');

  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  // The replay is still reading the log until `release`; the log holds nothing.
  const records: AsyncIterable<object> = {
    [Symbol.asyncIterator]: () => ({
      next: () => held.then(() => ({ done: true as const, value: undefined })),
    }),
  };
  const started = hub.start({ snapshot: undefined, records });
  t.teardown(() => hub.stop(0));
  await new Promise((r) => setTimeout(r, 20));
  t.equal(hub.phase, 'recovering');
  t.equal(await refused(() => gw.submit(producer, [{ queue: 'q' }])), 'NOT_READY', 'submit');
  t.equal(
    await refused(() => gw.register(workerAlice, { kind: 'pull', queues: ['q'] })),
    'NOT_READY',
    'register',
  );
  try {
    await gw.submit(producer, [{ queue: 'q' }]);
  } catch (err) {
    t.match((err as Error).message, /recovering its state.*retry shortly/);
  }
  t.equal(hub.core.tasks.size, 0, 'nothing was accepted');

  release();
  await started;
  t.equal(hub.phase, 'ready');
  const { taskIds } = await gw.submit(producer, [{ queue: 'q' }]);
  t.equal(taskIds.length, 1, 'accepted once recovered');
});

t.test(
  'phase gate: SHUTTING_DOWN for new work while draining; running work finishes',
  async (t) => {
    const th = await startTestHub();
    const gw = th.hub.gateway;
    const { workerId } = gw.register(workerAlice, { kind: 'pull', queues: ['q'] });
    const { taskIds } = await gw.submit(producer, [{ queue: 'q' }, { queue: 'q' }]);
    const [task] = await gw.pull(workerAlice, workerId, 1);
    const stopping = th.hub.stop(10_000).then(() => th.http.close());
    await new Promise((r) => setTimeout(r, 20));
    t.equal(th.hub.phase, 'draining');

    t.equal(await refused(() => gw.submit(producer, [{ queue: 'q' }])), 'SHUTTING_DOWN', 'submit');
    t.equal(
      await refused(() => gw.register(workerBob, { kind: 'pull', queues: ['q'] })),
      'SHUTTING_DOWN',
      'register',
    );
    t.equal(await refused(() => gw.retry(admin, taskIds[1]!)), 'SHUTTING_DOWN', 'retry');
    t.equal(th.hub.core.tasks.size, 2, 'no new task');
    t.equal(th.hub.core.workers.size, 1, 'no new worker');

    await gw.complete(workerAlice, {
      workerId: workerId,
      taskId: task!.id,
      attempt: task!.attempt,
      result: 'finished',
    });
    t.equal(th.hub.core.tasks.get(task!.id)?.state, 'completed', 'running work still completes');
    t.equal(gw.task(producer, taskIds[1]!).state, 'queued', 'reads still answer');
    await stopping;
    t.equal(await refused(() => gw.submit(producer, [{ queue: 'q' }])), 'SHUTTING_DOWN', 'stopped');
  },
);

t.test('a change the disk would not keep is refused and taken back', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-gateway-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The real file layer, except that writes fail with ENOSPC while `full` is set: a disk that
  // fills up and is freed again (test/store/full-disk.test.ts does it with a real tmpfs).
  let full = false;
  const fileOps: WalFileOps = {
    ...nodeWalFileOps,
    write(fd, buffer, offset, length, position, cb) {
      if (!full) return nodeWalFileOps.write(fd, buffer, offset, length, position, cb);
      const err: NodeJS.ErrnoException = new Error('ENOSPC: no space left on device, write');
      err.code = 'ENOSPC';
      setImmediate(() => cb(err, 0));
    },
  };
  const store = new WalStore({
    mode: 'wal',
    dataDir: dir,
    fsync: 'always',
    fsyncIntervalMs: 100,
    fileOps,
  });
  await store.open();
  const th = await startTestHub({ store });
  t.teardown(th.stop);
  const gw = th.hub.gateway;

  const first = await gw.submit(producer, [{ queue: 'q', payload: 'kept' }]);
  const kept = first.taskIds[0]!;

  full = true;
  let err: unknown;
  await gw.submit(producer, [{ queue: 'q', payload: 'lost' }]).catch((e: unknown) => (err = e));
  t.type(err, OperationError);
  t.equal((err as OperationError).code, 'STORE_FULL', 'the disk is full');
  t.match((err as Error).message, /tasks not accepted: could not persist them/);
  t.equal(th.hub.core.tasks.size, 1, 'the refused task was taken back');
  t.equal(th.hub.core.queue('q').runnable, 1, 'so no worker will ever get it');

  full = false;
  const again = await gw.submit(producer, [{ queue: 'q', payload: 'later' }]);
  t.equal(again.taskIds.length, 1, 'accepted again once space is freed');
  t.equal(th.hub.phase, 'ready', 'a full disk did not stop the hub');
  await gw.cancel(producer, kept);
  t.equal(th.hub.core.tasks.get(kept)?.state, 'cancelled');
});
