import t from 'tap';
import {
  Core,
  MAX_ATTEMPTS_KEPT,
  type Command,
  type HubEvent,
  type TaskSpec,
} from '../../server/core/index.js';

/**
 * `task.bulk` (docs/dead-letters.md) and the attempt history with an explicit clock: one
 * command cancels, retries or purges the tasks it names, passing over those gone, of another
 * queue or in a state the action does not take; `count` says how many it acted on; a journal
 * replay and a snapshot round trip give the same state, failed attempts included.
 */

function fixture() {
  const c = new Core({ heartbeatTimeoutMs: 1_000_000, httpLeaseTimeoutMs: 1_000_000 });
  const journal: Command[] = [];
  const events: HubEvent[] = [];
  let now = 1_000;
  let n = 0;
  const apply = (cmd: Command) => {
    const r = c.apply(cmd);
    const fx = c.takeEffects();
    journal.push(...(fx.journal as Command[]));
    events.push(...fx.events);
    return r;
  };
  const must = (cmd: Command) => {
    const r = apply(cmd);
    if (!r.ok) throw new Error(r.message);
    return r;
  };
  const submit = (spec: Partial<TaskSpec> = {}) =>
    must({
      type: 'task.submit',
      now: ++now,
      tasks: [{ id: `t${++n}`, spec: { queue: 'q', ...spec } }],
    }).taskIds![0]!;
  const register = (id: string, queues: string[], concurrency = 100) =>
    must({
      type: 'worker.register',
      now,
      workerId: id,
      kind: 'ws',
      session: `s-${id}`,
      queues,
      capabilities: [],
      concurrency,
    });
  const leased = (taskId: string) => {
    const task = c.tasks.get(taskId)!;
    if (task.state !== 'leased') throw new Error(`${taskId} is ${task.state}`);
    return task;
  };
  const complete = (taskId: string) => {
    const task = leased(taskId);
    return must({
      type: 'task.complete',
      now: ++now,
      taskId,
      workerId: task.workerId!,
      attempt: task.attempt,
      result: 'ok',
    });
  };
  const failFinally = (taskId: string, message = 'boom') => {
    const task = leased(taskId);
    return must({
      type: 'task.fail',
      now: ++now,
      taskId,
      workerId: task.workerId!,
      attempt: task.attempt,
      error: { code: 'BOOM', message },
      retryable: false,
    });
  };
  const bulk = (action: 'cancel' | 'retry' | 'purge', taskIds: string[], queue = 'q') =>
    must({ type: 'task.bulk', now: ++now, queue, action, taskIds });
  const state = (id: string) => c.tasks.get(id)?.state;
  return { c, journal, events, apply, must, submit, register, complete, failFinally, bulk, state };
}

t.test('cancel: the unfinished tasks named, of this queue only', async (t) => {
  const f = fixture();
  const queued = [f.submit(), f.submit(), f.submit()];
  const delayed = f.submit({ delayMs: 60_000 });
  const other = f.submit({ queue: 'other' });
  f.register('w', ['done-q']);
  const done = f.submit({ queue: 'done-q' });
  f.complete(done);
  const r = f.bulk('cancel', [...queued, delayed, other, done, 'gone']);
  t.equal(r.count, 4, 'the three queued and the delayed one');
  for (const id of [...queued, delayed]) t.equal(f.state(id), 'cancelled');
  t.equal(f.state(other), 'queued', 'another queue is passed over');
  t.equal(f.state(done), 'completed', 'a finished task is passed over');
  t.equal(f.c.queues.get('q')!.runnable, 0);
  t.equal(f.c.queues.get('q')!.delayed, 0);
  t.equal(f.events.filter((e) => e.type === 'task.cancelled').length, 4, 'an event each');
});

t.test(
  'retry: dead tasks queued again with their attempts reset; others passed over',
  async (t) => {
    const f = fixture();
    f.register('w', ['q']);
    const ids = [f.submit({ maxAttempts: 1 }), f.submit({ maxAttempts: 1 }), f.submit()];
    f.failFinally(ids[0]!);
    f.failFinally(ids[1]!);
    f.complete(ids[2]!);
    t.equal(f.c.queues.get('q')!.dead.size, 2);
    const r = f.bulk('retry', ids);
    t.equal(r.count, 2, 'the two dead ones');
    t.equal(f.c.queues.get('q')!.dead.size, 0);
    for (const id of ids.slice(0, 2)) {
      const task = f.c.tasks.get(id)!;
      t.equal(task.state, 'leased', 'dispatched again at once');
      t.equal(task.attempt, 1, 'its attempts start over');
      t.equal(task.error, undefined);
    }
    t.equal(f.state(ids[2]!), 'completed', 'a completed task is not retried');
  },
);

t.test('purge: finished tasks of any final state go for good; unfinished ones stay', async (t) => {
  const f = fixture();
  f.register('w', ['q'], 2);
  const dead = f.submit({ maxAttempts: 1 });
  const completed = f.submit();
  f.failFinally(dead, 'first');
  f.complete(completed);
  const cancelled = f.submit({ delayMs: 60_000 });
  f.must({ type: 'task.cancel', now: 2_000, taskId: cancelled });
  const queued = f.submit({ delayMs: 60_000 });
  const before = f.c.snapshot();
  t.equal(f.c.attempts.of(dead).length, 1, 'the dead task has its failed attempt');

  const r = f.bulk('purge', [dead, completed, cancelled, queued, 'gone']);
  t.equal(r.count, 3, 'dead, completed and cancelled');
  for (const id of [dead, completed, cancelled]) t.equal(f.c.tasks.get(id), undefined);
  t.equal(f.state(queued), 'delayed', 'an unfinished task is never purged');
  t.equal(f.c.queues.get('q')!.dead.size, 0, 'the dead-letter set lost it');
  t.same(f.c.attempts.of(dead), [], 'and its history went with it');
  t.same(f.events.at(-1), { type: 'queue.purged', queue: 'q', count: 3 });
  t.equal(before.tasks.length - f.c.snapshot().tasks.length, 3);

  const again = f.bulk('purge', [dead, completed]);
  t.equal(again.count, 0, 'purging what is gone touches nothing');
});

t.test('purge of a finished flow child leaves its outcome with the waiting parent', async (t) => {
  const f = fixture();
  f.register('w', ['kids']);
  f.must({
    type: 'flow.submit',
    now: 2_000,
    tasks: [
      { id: 'root', spec: { queue: 'q' } },
      { id: 'a', spec: { queue: 'kids' }, parent: 0, name: 'a' },
      { id: 'b', spec: { queue: 'kids', delayMs: 60_000 }, parent: 0, name: 'b' },
    ],
  });
  f.complete('a');
  t.equal(f.state('root'), 'waiting-children');
  t.equal(f.bulk('purge', ['a'], 'kids').count, 1);
  t.equal(f.c.tasks.get('a'), undefined);
  const outcomes = f.c.flows.outcomes('root', f.c.tasks)!;
  t.same(
    outcomes.map((o) => [o.taskId, o.state, o.result]),
    [['a', 'completed', 'ok']],
    'the parent still has the purged child result',
  );
  t.equal(f.state('root'), 'waiting-children', 'and still waits for b');
});

t.test('a journal replay and a snapshot round trip give the same state', async (t) => {
  const f = fixture();
  f.register('w', ['q']);
  const ids = Array.from({ length: 6 }, () => f.submit({ maxAttempts: 1 }));
  for (const id of ids.slice(0, 4)) f.failFinally(id);
  f.complete(ids[4]!);
  f.bulk('retry', [ids[0]!]);
  f.failFinally(ids[0]!, 'again');
  f.bulk('purge', [ids[1]!, ids[4]!]);
  f.bulk('cancel', [ids[5]!]);

  const replayed = new Core({ heartbeatTimeoutMs: 1_000_000, httpLeaseTimeoutMs: 1_000_000 });
  for (const cmd of f.journal) replayed.apply(cmd);
  replayed.takeEffects();
  t.same(replayed.snapshot(), f.c.snapshot(), 'replay equals the live state');
  t.equal(
    f.journal.filter((cmd) => cmd.type === 'task.bulk').length,
    3,
    'one journal record per bulk command',
  );
  const restored = Core.restore(structuredClone(f.c.snapshot()));
  // A restore numbers wakeup generations afresh (snapshot.ts): everything else is the same.
  const noGen = (c: Core) => ({
    ...c.snapshot(),
    tasks: c.snapshot().tasks.map((task) => ({ ...task, gen: 0 })),
  });
  t.same(noGen(restored), noGen(f.c), 'restore equals the live state');
  t.same(
    [...restored.queues.get('q')!.dead].sort(),
    [ids[0]!, ids[2]!, ids[3]!].sort(),
    'the same dead letters',
  );
});

t.test('attempt history: snapshot -> restore -> the same history, capped', async (t) => {
  const f = fixture();
  f.register('w', ['q']);
  const often = f.submit({ maxAttempts: 1 });
  const once = f.submit({ maxAttempts: 1 });
  const never = f.submit();
  // Thirty failures, each retried by an operator: the last MAX_ATTEMPTS_KEPT are kept.
  for (let i = 1; i <= 30; i++) {
    f.failFinally(often, `failure ${i}`);
    if (i < 30) f.bulk('retry', [often]);
  }
  f.failFinally(once, 'only once');
  f.complete(never);

  const history = f.c.attempts.of(often);
  t.equal(history.length, MAX_ATTEMPTS_KEPT);
  t.equal(history[0]!.error.message, `failure ${30 - MAX_ATTEMPTS_KEPT + 1}`, 'oldest dropped');
  t.equal(history.at(-1)!.error.message, 'failure 30');
  t.same(
    history.map((a) => a.workerId),
    Array(MAX_ATTEMPTS_KEPT).fill('w'),
  );

  const snap = structuredClone(f.c.snapshot());
  const restored = Core.restore(snap);
  for (const id of [often, once, never])
    t.same(restored.attempts.of(id), f.c.attempts.of(id), `${id}: the same history`);
  t.same(restored.attempts.of(never), [], 'a task that never failed has none');
  t.equal(restored.attempts.size, 2);

  // The restored core goes on recording where the live one left off, and forgets on purge.
  restored.apply({ type: 'recover', now: 10_000 });
  restored.apply({ type: 'task.bulk', now: 10_001, queue: 'q', action: 'retry', taskIds: [once] });
  restored.takeEffects();
  restored.apply({
    type: 'worker.register',
    now: 10_002,
    workerId: 'w2',
    kind: 'ws',
    session: 's-w2',
    queues: ['q'],
    capabilities: [],
    concurrency: 10,
  });
  const task = restored.tasks.get(once)!;
  restored.apply({
    type: 'task.fail',
    now: 10_003,
    taskId: once,
    workerId: task.workerId!,
    attempt: task.attempt,
    error: { code: 'BOOM', message: 'after restore' },
    retryable: false,
  });
  t.same(
    restored.attempts.of(once).map((a) => a.error.message),
    ['only once', 'after restore'],
  );
  restored.apply({ type: 'task.bulk', now: 10_004, queue: 'q', action: 'purge', taskIds: [often] });
  t.same(restored.attempts.of(often), [], 'a purged task has no history');
  t.same(
    Core.restore(structuredClone(restored.snapshot())).attempts.of(often),
    [],
    'nor after another round trip',
  );
});
