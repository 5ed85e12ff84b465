import t from 'tap';
import { Core, type Command, type TaskSpec } from '../../server/core/index.js';

/**
 * One dispatch rule for every worker: the highest priority level first across all the
 * queues a worker serves, then its queues in the order it listed them, then the oldest task
 * its capabilities allow. Push workers get it handed to them; pull workers get it on asking.
 */

function core() {
  const c = new Core({ heartbeatTimeoutMs: 1000, httpLeaseTimeoutMs: 1000 });
  const apply = (cmd: Command) => {
    const r = c.apply(cmd);
    c.takeEffects();
    if (!r.ok) throw new Error(r.message);
    return r;
  };
  const submit = (id: string, queue: string, spec: Partial<TaskSpec> = {}) =>
    apply({ type: 'task.submit', now: 1, tasks: [{ id, spec: { queue, ...spec } }] });
  const register = (id: string, kind: 'push' | 'pull' | 'ws' | 'http', queues: string[]) =>
    apply({
      type: 'worker.register',
      now: 1,
      workerId: id,
      kind,
      session: `s-${id}`,
      queues,
      capabilities: [],
      concurrency: 1,
    });
  const running = (id: string) => [...c.workers.get(id)!.running];
  const complete = (workerId: string) => {
    const [taskId] = running(workerId);
    apply({ type: 'task.complete', now: 2, taskId: taskId!, workerId, attempt: 1 });
  };
  const pull = (workerId: string) => {
    const r = apply({ type: 'worker.pull', now: 2, workerId, max: 1 });
    return r.ok ? r.leased!.map((x) => x.id) : [];
  };
  return { c, apply, submit, register, running, complete, pull };
}

/** Queue a: a critical task no plain worker can run, and a low one. Queue b: a high one. */
function mixed(f: ReturnType<typeof core>) {
  f.submit('a-critical-gpu', 'a', { priority: 'critical', requires: ['gpu'] });
  f.submit('a-low', 'a', { priority: 'low' });
  f.submit('b-high', 'b', { priority: 'high' });
}

t.test('a push worker gets the highest priority it can run across its queues', async (t) => {
  const f = core();
  mixed(f);
  f.register('w', 'push', ['a', 'b']);
  t.same(
    f.running('w'),
    ['b-high'],
    "a's critical task is not for it: b's high comes before a's low",
  );
  f.complete('w');
  t.same(f.running('w'), ['a-low']);
  f.complete('w');
  t.same(f.running('w'), [], 'the gpu task waits for a gpu worker');
  t.equal(f.c.tasks.get('a-critical-gpu')!.state, 'queued');
});

t.test('a pull worker gets the same task a push worker would', async (t) => {
  const f = core();
  mixed(f);
  f.register('h', 'pull', ['a', 'b']);
  t.same(f.running('h'), [], 'never pushed to');
  t.same(f.pull('h'), ['b-high']);
  f.complete('h');
  t.same(f.pull('h'), ['a-low']);
  f.complete('h');
  t.same(f.pull('h'), []);
});

t.test('within a level, queues go in the order the worker listed them', async (t) => {
  for (const kind of ['push', 'pull'] as const) {
    const f = core();
    f.submit('a1', 'a');
    f.submit('b1', 'b');
    f.register('w', kind, ['b', 'a']);
    const first = kind === 'push' ? f.running('w') : f.pull('w');
    t.same(first, ['b1'], `${kind}: b is listed first`);
  }
});

t.test('a batch over several queues is dispatched by priority, not by queue', async (t) => {
  const f = core();
  f.register('w', 'push', ['a', 'b']);
  f.apply({
    type: 'task.submit',
    now: 1,
    tasks: [
      { id: 'a-low', spec: { queue: 'a', priority: 'low' } },
      { id: 'b-critical', spec: { queue: 'b', priority: 'critical' } },
    ],
  });
  t.same(f.running('w'), ['b-critical']);
});

t.test('a paused queue hands out nothing until it is resumed', async (t) => {
  const f = core();
  f.apply({ type: 'queue.pause', now: 1, queue: 'a' });
  f.submit('a1', 'a', { priority: 'critical' });
  f.submit('b1', 'b', { priority: 'low' });
  f.register('w', 'push', ['a', 'b']);
  f.register('h', 'pull', ['a']);
  t.same(f.running('w'), ['b1'], 'the paused critical task is skipped');
  t.same(f.pull('h'), []);
  f.complete('w');
  f.apply({ type: 'queue.resume', now: 3, queue: 'a' });
  t.same(f.running('w'), ['a1'], 'resumed: the free push worker gets it at once');
});

t.test('worker kinds are push and pull; the old names ws and http still register', async (t) => {
  const f = core();
  f.register('p', 'push', ['q']);
  f.register('l', 'pull', ['q']);
  f.register('w', 'ws', ['q']);
  f.register('h', 'http', ['q']);
  t.same(
    ['p', 'l', 'w', 'h'].map((id) => f.c.workers.get(id)!.kind),
    ['push', 'pull', 'push', 'pull'],
  );
  t.equal(
    f.c.workers.get('h')!.heartbeatTimeoutMs,
    1000,
    'a pull worker gets the pull lease timeout',
  );
  f.submit('t1', 'q');
  f.submit('t2', 'q');
  f.submit('t3', 'q');
  t.same(
    ['p', 'w'].flatMap((id) => f.running(id)).sort(),
    ['t1', 't2'],
    'both push workers were handed a task',
  );
  t.same([...f.running('l'), ...f.running('h')], [], 'no pull worker was');
  t.same(f.pull('h'), ['t3']);
});
