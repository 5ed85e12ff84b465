import t from 'tap';
import { flattenFlow, type FlowNodeSpec } from '../../protocol/index.js';
import { Core, type Command, type HubEvent } from '../../server/core/index.js';

/**
 * The rules of flows (docs/flows.md) with an explicit clock: a parent waits, in no queue,
 * until every child is final; it then runs with their outcomes; a child's failure fails it
 * (policy fail, climbing the tree and cancelling what it waited on) or not (continue); a
 * cancelled parent cancels its unfinished children; all of it replays and restores.
 */

function core() {
  const c = new Core({ heartbeatTimeoutMs: 1_000_000, httpLeaseTimeoutMs: 1_000_000 });
  const journal: Command[] = [];
  const events: HubEvent[] = [];
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
  let n = 0;
  /** Submit a flow; returns its ids in pre-order. */
  const flow = (root: FlowNodeSpec, now = 0) => {
    const tasks = flattenFlow(root).map((f) => ({
      id: `t${++n}`,
      spec: f.spec,
      ...(f.parent === undefined ? {} : { parent: f.parent }),
      ...(f.name === undefined ? {} : { name: f.name }),
      ...(f.policy === undefined ? {} : { policy: f.policy }),
    }));
    return apply({ type: 'flow.submit', now, tasks });
  };
  const register = (id: string, queues: string[], concurrency = 10, now = 0) =>
    must({
      type: 'worker.register',
      now,
      workerId: id,
      kind: 'push',
      session: `s-${id}`,
      queues,
      capabilities: [],
      concurrency,
    });
  const state = (id: string) => c.tasks.get(id)?.state;
  const worker = (taskId: string) => c.tasks.get(taskId)!.workerId!;
  const complete = (taskId: string, result: unknown, now = 1) =>
    must({
      type: 'task.complete',
      now,
      taskId,
      workerId: worker(taskId),
      attempt: c.tasks.get(taskId)!.attempt,
      result,
    });
  const failFinally = (taskId: string, now = 1) =>
    must({
      type: 'task.fail',
      now,
      taskId,
      workerId: worker(taskId),
      attempt: c.tasks.get(taskId)!.attempt,
      error: { code: 'BOOM', message: 'boom' },
      retryable: false,
    });
  return { c, apply, must, flow, register, state, complete, failFinally, journal, events };
}

/** root (queue a) <- [report (queue b) <- [x, y] (queue a), z (queue b)]: three levels, two queues. */
const THREE_LEVELS: FlowNodeSpec = {
  queue: 'a',
  payload: 'root',
  children: [
    {
      queue: 'b',
      name: 'report',
      payload: 'report',
      children: [
        { queue: 'a', name: 'x', payload: 'x' },
        { queue: 'a', name: 'y', payload: 'y' },
      ],
    },
    { queue: 'b', name: 'z', payload: 'z' },
  ],
};

t.test(
  'three levels across two queues: each parent runs after its children, with their results',
  async (t) => {
    const f = core();
    const r = f.flow(THREE_LEVELS);
    t.ok(r.ok);
    const [root, report, x, y, z] = r.ok ? r.taskIds! : [];
    t.same(
      [root, report, x, y, z].map((id) => f.state(id!)),
      ['waiting-children', 'waiting-children', 'queued', 'queued', 'queued'],
      'parents wait; leaves are queued in their own queues',
    );
    t.equal(f.c.queues.get('a')!.waiting, 1);
    t.equal(f.c.queues.get('b')!.waiting, 1);
    f.register('wa', ['a']);
    f.register('wb', ['b']);
    t.same(
      [...f.c.workers.get('wa')!.running].sort(),
      [x, y].sort(),
      'a worker of a gets x and y, not root',
    );
    t.same([...f.c.workers.get('wb')!.running], [z], 'b gets z, not report');
    f.complete(x!, { n: 1 });
    t.equal(f.state(report!), 'waiting-children', 'one child is not enough');
    f.complete(y!, { n: 2 });
    t.equal(f.state(report!), 'leased', 'both final: report is released and dispatched');
    t.same(
      f.c.flows.outcomes(report!, f.c.tasks),
      [
        { taskId: x, name: 'x', queue: 'a', state: 'completed', result: { n: 1 } },
        { taskId: y, name: 'y', queue: 'a', state: 'completed', result: { n: 2 } },
      ],
      'report sees both results by name, in the order given',
    );
    f.complete(z!, 'z-done');
    t.equal(f.state(root!), 'waiting-children', 'root still waits for report');
    f.complete(report!, 'report-done');
    t.equal(f.state(root!), 'leased', 'root runs last');
    t.same(
      f.c.flows.outcomes(root!, f.c.tasks)!.map((o) => [o.name, o.result]),
      [
        ['report', 'report-done'],
        ['z', 'z-done'],
      ],
    );
    f.complete(root!, 'all');
    t.equal(f.state(root!), 'completed');
    t.equal(f.c.queues.get('a')!.waiting, 0);
    t.equal(f.c.queues.get('b')!.waiting, 0);
  },
);

t.test(
  'policy fail: a dead child fails its parent, cancels its siblings, and climbs',
  async (t) => {
    const f = core();
    const r = f.flow(THREE_LEVELS);
    const [root, report, x, y, z] = r.ok ? r.taskIds! : [];
    f.register('wa', ['a']);
    f.register('wb', ['b']);
    f.failFinally(x!);
    t.equal(f.state(x!), 'dead');
    t.equal(f.state(report!), 'dead', 'report is dead at once');
    t.equal(f.c.tasks.get(report!)!.error!.code, 'CHILD_FAILED');
    t.match(f.c.tasks.get(report!)!.error!.message, /child x .* ended dead: boom/);
    t.equal(f.state(y!), 'cancelled', 'its sibling y, running, is cancelled');
    t.ok(
      f.events.some(
        (e) => e.type === 'lease.revoked' && e.taskId === y && e.reason === 'cancelled',
      ),
      "y's worker is told to stop",
    );
    t.equal(f.state(root!), 'dead', 'root (policy fail) fails with report');
    t.equal(f.state(z!), 'cancelled', 'and z, which root waited on, is cancelled');
    t.ok(f.c.queues.get('a')!.dead.has(root!), 'the root is in its dead letters');
    t.equal(f.c.queues.get('a')!.waiting + f.c.queues.get('b')!.waiting, 0);
    t.same([...f.c.workers.get('wa')!.running], [], 'no worker runs anything of the flow');
    t.same([...f.c.workers.get('wb')!.running], []);
  },
);

t.test('policy continue: the parent runs once all are final and sees which failed', async (t) => {
  const f = core();
  const r = f.flow({
    queue: 'a',
    onChildFailure: 'continue',
    children: [
      { queue: 'a', name: 'ok' },
      { queue: 'a', name: 'bad', ttlMs: 50 },
      { queue: 'b', name: 'gone' },
    ],
  });
  const [root, ok, bad, gone] = r.ok ? r.taskIds! : [];
  f.must({ type: 'task.cancel', now: 1, taskId: gone! });
  t.equal(f.state(root!), 'waiting-children', 'a cancelled child does not fail it');
  f.must({ type: 'tick', now: 100 });
  t.equal(f.state(bad!), 'expired', 'nobody started bad within its TTL');
  t.equal(f.state(root!), 'waiting-children', 'ok is not final yet');
  f.register('w', ['a'], 1, 100);
  t.same([...f.c.workers.get('w')!.running], [ok], 'root is not given out before ok ends');
  f.complete(ok!, 1, 101);
  t.equal(f.state(root!), 'leased');
  t.same(
    f.c.flows.outcomes(root!, f.c.tasks)!.map((o) => [o.name, o.state, o.error?.code]),
    [
      ['ok', 'completed', undefined],
      ['bad', 'expired', 'EXPIRED'],
      ['gone', 'cancelled', 'CANCELLED'],
    ],
  );
});

t.test('a policy set on a node holds for its subtree; a node below may set its own', async (t) => {
  const f = core();
  const r = f.flow({
    queue: 'a',
    onChildFailure: 'continue',
    children: [
      { queue: 'a', name: 'mid', children: [{ queue: 'a', name: 'leaf' }] },
      {
        queue: 'a',
        name: 'strict',
        onChildFailure: 'fail',
        children: [{ queue: 'a', name: 'leaf2' }],
      },
    ],
  });
  const [root, mid, leaf, strict, leaf2] = r.ok ? r.taskIds! : [];
  f.register('w', ['a']);
  f.failFinally(leaf!);
  t.equal(f.state(mid!), 'leased', 'mid inherits continue: it runs');
  f.failFinally(leaf2!);
  t.equal(f.state(strict!), 'dead', 'strict set fail for its own children');
  t.equal(f.state(root!), 'waiting-children', 'root (continue) keeps waiting for mid');
  f.complete(mid!, 'm');
  t.equal(f.state(root!), 'leased');
});

t.test('cancel of the parent cancels every unfinished descendant, running or not', async (t) => {
  const f = core();
  const r = f.flow(THREE_LEVELS);
  const [root, report, x, y, z] = r.ok ? r.taskIds! : [];
  f.register('wa', ['a'], 1);
  t.equal(f.state(x!), 'leased');
  f.complete(x!, 'x');
  t.equal(f.state(y!), 'leased', 'y runs now');
  f.must({ type: 'task.cancel', now: 2, taskId: root!, reason: 'changed my mind' });
  t.same(
    [root, report, x, y, z].map((id) => f.state(id!)),
    ['cancelled', 'cancelled', 'completed', 'cancelled', 'cancelled'],
    'finished x stays completed; everything else is cancelled',
  );
  t.match(f.c.tasks.get(y!)!.error!.message, /parent .* was cancelled/);
  t.ok(f.events.some((e) => e.type === 'lease.revoked' && e.taskId === y));
  t.equal(f.c.queues.get('a')!.waiting + f.c.queues.get('b')!.waiting, 0);
  t.equal(f.c.queues.get('a')!.runnable + f.c.queues.get('b')!.runnable, 0);
});

t.test('cancel of a child is a child failure', async (t) => {
  const f = core();
  const r = f.flow({ queue: 'a', children: [{ queue: 'a' }, { queue: 'a' }] });
  const [root, c1, c2] = r.ok ? r.taskIds! : [];
  f.must({ type: 'task.cancel', now: 1, taskId: c1! });
  t.equal(f.state(root!), 'dead');
  t.equal(f.state(c2!), 'cancelled');
});

t.test('a refused flow creates nothing; a duplicate root key creates nothing', async (t) => {
  const f = core();
  f.must({ type: 'task.submit', now: 0, tasks: [{ id: 'taken', spec: { queue: 'a' } }] });
  const r = f.apply({
    type: 'flow.submit',
    now: 0,
    tasks: [
      { id: 'p', spec: { queue: 'a' } },
      { id: 'c1', spec: { queue: 'a' }, parent: 0 },
      { id: 'taken', spec: { queue: 'a' }, parent: 0 },
    ],
  });
  t.equal(r.ok, false);
  t.notOk(f.c.tasks.has('p'));
  t.notOk(f.c.tasks.has('c1'));
  t.equal(f.c.flows.parents.size, 0);
  t.equal(f.journal.filter((c) => c.type === 'flow.submit').length, 0, 'not journaled');
  const bad = f.apply({
    type: 'flow.submit',
    now: 0,
    tasks: [
      { id: 'p2', spec: { queue: 'a' } },
      { id: 'c2', spec: { queue: 'a' }, parent: 1 },
    ],
  });
  t.equal(bad.ok, false, 'a parent must come before its child');

  const first = f.flow({ queue: 'a', idempotencyKey: 'k', children: [{ queue: 'a' }] });
  const again = f.flow({
    queue: 'a',
    idempotencyKey: 'k',
    children: [{ queue: 'a' }, { queue: 'b' }],
  });
  t.ok(first.ok && again.ok);
  if (first.ok && again.ok) {
    t.same(again.taskIds, [first.taskIds![0]], 'the existing root');
    t.same(again.duplicates, [0]);
  }
  t.equal(f.c.tasks.size, 3, 'the taken task and the first flow only');
});

t.test('a parent with a delay or a TTL: both count from its release', async (t) => {
  const f = core();
  const r = f.flow({ queue: 'a', delayMs: 100, ttlMs: 50, children: [{ queue: 'b' }] }, 0);
  const [root, child] = r.ok ? r.taskIds! : [];
  t.equal(f.c.tasks.get(root!)!.expiresAt, 0, 'no TTL runs while it waits');
  f.must({ type: 'tick', now: 500 });
  t.equal(f.state(root!), 'waiting-children', 'neither delay nor TTL moves a waiting parent');
  f.register('wb', ['b'], 1, 500);
  f.complete(child!, 'c', 600);
  t.equal(f.state(root!), 'queued', 'its runAt (100) is past: queued at once');
  t.equal(f.c.tasks.get(root!)!.expiresAt, 650, 'TTL from the release');
  f.must({ type: 'tick', now: 650 });
  t.equal(f.state(root!), 'expired');

  const g = core();
  const s = g.flow({ queue: 'a', delayMs: 1000, children: [{ queue: 'b' }] }, 0);
  const [p, c] = s.ok ? s.taskIds! : [];
  g.register('wb', ['b'], 1, 0);
  g.complete(c!, 'c', 10);
  t.equal(g.state(p!), 'delayed', 'released before its runAt: delayed until then');
  g.must({ type: 'tick', now: 1000 });
  t.equal(g.state(p!), 'queued');
});

t.test(
  "a child's result outlives the child: evicted children still reach their parent",
  async (t) => {
    const f = core();
    const r = f.flow({
      queue: 'a',
      children: [{ queue: 'b', name: 'c', resultTtlMs: 0 }, { queue: 'b' }],
    });
    const [root, c1, c2] = r.ok ? r.taskIds! : [];
    f.register('wb', ['b'], 1);
    f.complete(c1!, { big: 'result' }, 5);
    f.must({ type: 'gc', now: 10 });
    t.notOk(f.c.tasks.has(c1!), 'the child is evicted');
    f.complete(c2!, 2, 11);
    f.register('wa', ['a'], 1, 11);
    t.equal(f.state(root!), 'leased');
    t.same(f.c.flows.outcomes(root!, f.c.tasks)![0], {
      taskId: c1,
      name: 'c',
      queue: 'b',
      state: 'completed',
      result: { big: 'result' },
    });
    f.complete(root!, 'r', 12);
    f.must({ type: 'gc', now: 12 + 3_600_001 });
    t.equal(f.c.flows.parents.size, 0, 'the evicted parent takes its record with it');
  },
);

t.test(
  'retry of a dead child the parent still waits on: the parent waits for it again',
  async (t) => {
    const f = core();
    const r = f.flow({
      queue: 'a',
      onChildFailure: 'continue',
      children: [{ queue: 'b' }, { queue: 'b' }],
    });
    const [root, c1, c2] = r.ok ? r.taskIds! : [];
    f.register('wb', ['b'], 1);
    f.failFinally(c1!);
    f.must({ type: 'task.retry', now: 2, taskId: c1! });
    f.complete(c2!, 'two', 3);
    t.equal(f.state(root!), 'waiting-children', 'c1 runs again: the parent waits');
    f.complete(c1!, 'one', 4);
    t.equal(f.state(root!), 'queued');
    t.same(
      f.c.flows.outcomes(root!, f.c.tasks)!.map((o) => [o.state, o.result]),
      [
        ['completed', 'one'],
        ['completed', 'two'],
      ],
      'the retried outcome replaces the dead one',
    );
  },
);

t.test('replay of the journal and snapshot + restore give the same flows', async (t) => {
  const f = core();
  const r = f.flow(THREE_LEVELS);
  const [root, report, x, y, z] = r.ok ? r.taskIds! : [];
  f.register('wa', ['a']);
  f.register('wb', ['b']);
  f.complete(x!, 'x', 1);
  f.complete(z!, 'z', 2);
  const replayed = new Core();
  for (const cmd of f.journal) replayed.apply(cmd);
  replayed.takeEffects();
  t.same(replayed.snapshot(), f.c.snapshot(), 'replay equals the live state');

  const restored = Core.restore(structuredClone(f.c.snapshot()));
  t.equal(restored.tasks.get(report!)!.state, 'waiting-children');
  t.equal(restored.queues.get('b')!.waiting, 1);
  restored.apply({ type: 'recover', now: 3 });
  restored.apply({
    type: 'worker.register',
    now: 3,
    workerId: 'w2',
    kind: 'push',
    queues: ['a', 'b'],
    capabilities: [],
    concurrency: 10,
  });
  const y2 = restored.tasks.get(y!)!;
  t.equal(y2.state, 'leased', 'y, requeued by the restart, runs again');
  restored.apply({
    type: 'task.complete',
    now: 4,
    taskId: y!,
    workerId: 'w2',
    attempt: y2.attempt,
    result: 'y',
  });
  const rep = restored.tasks.get(report!)!;
  t.equal(rep.state, 'leased', 'report released after the restart');
  t.same(
    restored.flows.outcomes(report!, restored.tasks)!.map((o) => o.result),
    ['x', 'y'],
    'with the result from before the restart',
  );
  restored.apply({
    type: 'task.complete',
    now: 5,
    taskId: report!,
    workerId: 'w2',
    attempt: rep.attempt,
    result: 'rep',
  });
  t.equal(restored.tasks.get(root!)!.state, 'leased');
  t.same(
    restored.flows.outcomes(root!, restored.tasks)!.map((o) => o.result),
    ['rep', 'z'],
  );
});
