import t from 'tap';
import { Core, type Command, type TaskSpec } from '../../server/core/index.js';
import type { QueueLimitSpec } from '../../server/core/queue-limits.js';

/**
 * The rules of queue limits (docs/rate-limits.md) with an explicit clock: a sliding-window
 * rate over attempt starts, a concurrency cap over leases, a cap per group value, and the
 * wakeup that dispatches a held queue the moment its window lets the next task start.
 */

function core() {
  const c = new Core({ heartbeatTimeoutMs: 1_000_000, httpLeaseTimeoutMs: 1_000_000 });
  const journal: Command[] = [];
  const apply = (cmd: Command) => {
    const r = c.apply(cmd);
    journal.push(...(c.takeEffects().journal as Command[]));
    if (!r.ok) throw new Error(r.message);
    return r;
  };
  let n = 0;
  const submit = (queue: string, now: number, spec: Partial<TaskSpec> = {}, id = `t${++n}`) => {
    apply({ type: 'task.submit', now, tasks: [{ id, spec: { queue, ...spec } }] });
    return id;
  };
  const register = (id: string, queues: string[], concurrency: number, now = 0) =>
    apply({
      type: 'worker.register',
      now,
      workerId: id,
      kind: 'push',
      session: `s-${id}`,
      queues,
      capabilities: [],
      concurrency,
    });
  const limit = (queue: string, limits: QueueLimitSpec, now = 0) =>
    apply({ type: 'queue.limit', now, queue, limits });
  const running = (id: string) => [...c.workers.get(id)!.running];
  const complete = (workerId: string, taskId: string, now: number) => {
    const attempt = c.tasks.get(taskId)!.attempt;
    apply({ type: 'task.complete', now, taskId, workerId, attempt });
  };
  const completeAll = (workerId: string, now: number) => {
    for (const id of running(workerId)) complete(workerId, id, now);
  };
  const tick = (now: number) => apply({ type: 'tick', now });
  const leased = (queue: string) => c.queues.get(queue)!.leased;
  return {
    c,
    apply,
    submit,
    register,
    limit,
    running,
    complete,
    completeAll,
    tick,
    leased,
    journal,
  };
}

t.test('rate: at most N starts in any window, the next one the moment it reopens', async (t) => {
  const f = core();
  f.limit('q', { rate: { count: 3, perMs: 1000, burst: 3 } });
  for (let i = 0; i < 10; i++) f.submit('q', 0);
  f.register('w', ['q'], 100, 0);
  t.equal(f.running('w').length, 3, '3 of 10 start at once');
  f.completeAll('w', 10);
  t.equal(f.running('w').length, 0, 'a completion frees a slot but not the window');
  t.equal(f.c.nextWakeAt(), 1000, 'the core asks to be woken when the window reopens');
  f.tick(999);
  t.equal(f.running('w').length, 0, 'not a millisecond early');
  f.tick(1000);
  t.equal(f.running('w').length, 3, 'at 1000 the next 3 start, by the wakeup alone');
});

/** Run the core's clock from `from` to `to`, waking it whenever it asks; the lease times. */
function run(f: ReturnType<typeof core>, queue: string, from: number, to: number): number[] {
  const starts: number[] = [];
  let seen = f.leased(queue);
  for (let now = from; now <= to; now++) {
    const due = f.c.nextWakeAt();
    if (due !== undefined && due <= now) f.tick(now);
    // Complete at once, so only the rate holds tasks back.
    for (const w of f.c.workers.values()) {
      for (const id of [...w.running]) {
        starts.push(f.c.tasks.get(id)!.startedAt);
        f.complete(w.id, id, now);
      }
    }
    seen = f.leased(queue);
  }
  void seen;
  return starts;
}

function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[j]! <= times[i]! - windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

t.test('by default a rate is spread evenly: one start every perMs/count', async (t) => {
  const f = core();
  f.limit('q', { rate: { count: 100, perMs: 1000 } });
  for (let i = 0; i < 1000; i++) f.submit('q', 0);
  f.register('w', ['q'], 1000, 0);
  const starts = run(f, 'q', 0, 3000);
  t.equal(maxInWindow(starts, 1000), 100, 'never more than 100 in any 1 s');
  t.ok(starts.length >= 299 && starts.length <= 301, `${starts.length} in 3 s`);
  const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
  t.ok(Math.min(...gaps) >= 9, `starts at least 9 ms apart (min ${Math.min(...gaps)})`);
  t.ok(Math.max(...gaps) <= 11, 'and no more than 11');
});

t.test('a fast rate is not slowed by the ms clock; burst lets them go together', async (t) => {
  const f = core();
  f.limit('q', { rate: { count: 10_000, perMs: 1000 } });
  for (let i = 0; i < 25_000; i++) f.submit('q', 0);
  f.register('w', ['q'], 100_000, 0);
  const starts = run(f, 'q', 0, 1999);
  t.ok(starts.length >= 19_900 && starts.length <= 20_000, `${starts.length} in 2 s at 10,000/s`);
  t.ok(maxInWindow(starts, 1000) <= 10_000);

  const g = core();
  g.limit('q', { rate: { count: 50, perMs: 1000, burst: 10 } });
  for (let i = 0; i < 100; i++) g.submit('q', 0);
  g.register('w', ['q'], 1000, 0);
  t.equal(g.leased('q'), 10, 'a burst of 10 at once');
  const later = run(g, 'q', 0, 999);
  t.ok(maxInWindow(later, 1000) <= 50, 'still at most 50 per window');
});

t.test('the window slides: it is the last N starts that count, not a fixed second', async (t) => {
  const f = core();
  f.limit('q', { rate: { count: 3, perMs: 1000, burst: 3 } });
  f.register('w', ['q'], 100, 0);
  f.submit('q', 0);
  f.submit('q', 400);
  f.submit('q', 800);
  t.equal(f.leased('q'), 3, 'starts at 0, 400, 800');
  f.submit('q', 900);
  f.submit('q', 950);
  t.equal(f.leased('q'), 3, 'a fourth within the window waits');
  t.equal(f.c.nextWakeAt(), 1000);
  f.tick(1000);
  t.equal(f.leased('q'), 4, 'at 1000 the start at 0 left the window: one more');
  f.tick(1100);
  t.equal(f.leased('q'), 4, 'a fixed window would have let both start at 1000');
  t.equal(f.c.nextWakeAt(), 1400);
  f.tick(1400);
  t.equal(f.leased('q'), 5);
});

t.test('every attempt is a start: a retry counts against the rate', async (t) => {
  const f = core();
  f.limit('q', { rate: { count: 2, perMs: 1000, burst: 2 } });
  f.register('w', ['q'], 10, 0);
  const a = f.submit('q', 0, { backoff: { type: 'fixed', delayMs: 100 } });
  f.apply({
    type: 'task.fail',
    now: 10,
    taskId: a,
    workerId: 'w',
    attempt: 1,
    error: { code: 'E', message: 'x' },
    retryable: true,
  });
  f.tick(110);
  t.equal(f.c.tasks.get(a)!.attempt, 2, 'the retry started (second start of the window)');
  const b = f.submit('q', 120);
  t.equal(f.c.tasks.get(b)!.state, 'queued', 'a new task waits: the retry used the window');
  f.tick(1000);
  t.equal(f.c.tasks.get(b)!.state, 'leased');
});

t.test('held tasks keep their order and priorities: the best one goes first', async (t) => {
  const f = core();
  f.limit('q', { rate: { count: 1, perMs: 1000 } });
  f.register('w', ['q'], 10, 0);
  f.submit('q', 0, {}, 'first');
  f.submit('q', 1, { priority: 'low' }, 'low');
  f.submit('q', 2, {}, 'normal');
  f.submit('q', 3, { priority: 'critical' }, 'critical');
  t.same(f.running('w'), ['first']);
  f.tick(1000);
  f.tick(2000);
  f.tick(3000);
  t.same(f.running('w'), ['first', 'critical', 'normal', 'low'], 'priority, then age');
});

t.test('a worker serving a held queue and another gets work from the other', async (t) => {
  const f = core();
  f.limit('a', { rate: { count: 1, perMs: 1000 } });
  f.submit('a', 0, { priority: 'critical' }, 'a1');
  f.submit('a', 0, { priority: 'critical' }, 'a2');
  f.submit('b', 0, { priority: 'low' }, 'b1');
  f.register('w', ['a', 'b'], 10, 0);
  t.same(f.running('w'), ['a1', 'b1'], "a's limit does not block b behind it");
});

t.test(
  'concurrency: at most N leased across all workers; any free worker takes the slot',
  async (t) => {
    const f = core();
    f.limit('q', { concurrency: 2 });
    for (let i = 0; i < 6; i++) f.submit('q', 0);
    f.register('w1', ['q'], 5, 0);
    f.register('w2', ['q'], 5, 0);
    t.equal(f.leased('q'), 2, 'two workers with 10 slots: 2 running');
    t.equal(f.running('w1').length + f.running('w2').length, 2);
    const busy = f.running('w1').length ? 'w1' : 'w2';
    f.completeAll(busy, 5);
    t.equal(f.leased('q'), 2, 'each completion lets exactly one more start');
    // Both on one worker now? Fill the other's slot by a completion on the first.
    f.completeAll('w1', 6);
    f.completeAll('w2', 7);
    t.equal(f.leased('q'), 2);
    t.equal(f.c.queues.get('q')!.runnable, 0, 'all six started, never more than 2 at once');
  },
);

t.test('group concurrency: at most K per group value, other groups not held', async (t) => {
  const f = core();
  f.limit('q', { group: { key: 'tenant', concurrency: 1 } });
  f.submit('q', 0, { payload: { tenant: 'a' } }, 'a1');
  f.submit('q', 0, { payload: { tenant: 'a' } }, 'a2');
  f.submit('q', 0, { payload: { tenant: 'b' } }, 'b1');
  f.submit('q', 0, { payload: { tenant: 42 } }, 'n1');
  f.submit('q', 0, { payload: { tenant: '42' } }, 'n2');
  f.submit('q', 0, { payload: { other: 1 } }, 'x1');
  f.submit('q', 0, { payload: { other: 1 } }, 'x2');
  f.submit('q', 0, { payload: 'plain' }, 'p1');
  f.register('w', ['q'], 100, 0);
  t.same(
    f.running('w').sort(),
    ['a1', 'b1', 'n1', 'p1', 'x1', 'x2'],
    'one per tenant; 42 and "42" are one group; tasks without the field are in no group',
  );
  f.complete('w', 'a1', 1);
  t.ok(f.running('w').includes('a2'), "a's next task starts when a's slot frees");
  f.complete('w', 'n1', 2);
  t.ok(f.running('w').includes('n2'));
  t.same([...f.c.queues.get('q')!.limits!.groupRunning.entries()].sort(), [
    ['42', 1],
    ['a', 1],
    ['b', 1],
  ]);
});

t.test('nested group keys, and group plus queue concurrency together', async (t) => {
  const f = core();
  f.limit('q', { concurrency: 3, group: { key: 'customer.id', concurrency: 2 } });
  for (const c of ['a', 'a', 'a', 'b', 'b']) f.submit('q', 0, { payload: { customer: { id: c } } });
  f.register('w', ['q'], 100, 0);
  const groups = f.running('w').map((id) => (f.c.tasks.get(id)!.payload as any).customer.id);
  t.same(groups.sort(), ['a', 'a', 'b'], '3 in all, at most 2 of a');
});

t.test('a pull worker is held by the same rule', async (t) => {
  const f = core();
  f.limit('q', { rate: { count: 2, perMs: 1000, burst: 2 } });
  for (let i = 0; i < 5; i++) f.submit('q', 0);
  f.apply({
    type: 'worker.register',
    now: 0,
    workerId: 'p',
    kind: 'pull',
    queues: ['q'],
    capabilities: [],
    concurrency: 10,
  });
  const pull = (now: number) => {
    const r = f.apply({ type: 'worker.pull', now, workerId: 'p', max: 10 });
    return r.ok ? r.leased!.length : 0;
  };
  t.equal(pull(0), 2);
  t.equal(pull(500), 0);
  t.equal(pull(1000), 2);
});

t.test('a clock set back holds the queue at most one window', async (t) => {
  const f = core();
  f.limit('q', { rate: { count: 1, perMs: 1000 } });
  f.register('w', ['q'], 10, 0);
  f.submit('q', 100_000);
  t.equal(f.leased('q'), 1);
  f.submit('q', 5000); // the clock went back 95 s
  t.equal(f.leased('q'), 1);
  t.equal(f.c.nextWakeAt(), 6000, 'not 101,000: one window from the new now');
  f.tick(6000);
  t.equal(f.leased('q'), 2);
});

t.test('looser limits start waiting tasks at once; clearing removes every limit', async (t) => {
  const f = core();
  f.limit('q', { concurrency: 1 });
  for (let i = 0; i < 4; i++) f.submit('q', 0);
  f.register('w', ['q'], 10, 0);
  t.equal(f.leased('q'), 1);
  f.limit('q', { concurrency: 3 }, 1);
  t.equal(f.leased('q'), 3);
  f.limit('q', {}, 2);
  t.equal(f.leased('q'), 4);
  t.equal(f.c.queues.get('q')!.limits, undefined, 'no limits object: the unlimited path');
});

t.test('a new group key sorts queued and running tasks into the new groups', async (t) => {
  const f = core();
  f.limit('q', { group: { key: 'a', concurrency: 1 } });
  f.submit('q', 0, { payload: { a: 1, b: 'x' } }, 't1');
  f.submit('q', 0, { payload: { a: 1, b: 'x' } }, 't2');
  f.submit('q', 0, { payload: { a: 2, b: 'x' } }, 't3');
  f.register('w', ['q'], 10, 0);
  t.same(f.running('w').sort(), ['t1', 't3']);
  f.limit('q', { group: { key: 'b', concurrency: 2 } }, 1);
  t.same(f.running('w').sort(), ['t1', 't3'], 'group x already runs 2: t2 still waits');
  f.complete('w', 't1', 2);
  t.same(f.running('w').sort(), ['t2', 't3']);
});

t.test('replay and snapshot keep the limits, the window and the group counts', async (t) => {
  const f = core();
  f.limit('q', { rate: { count: 2, perMs: 1000, burst: 2 }, group: { key: 'g', concurrency: 1 } });
  f.register('w', ['q'], 10, 0);
  f.submit('q', 0, { payload: { g: 'a' } });
  f.submit('q', 100, { payload: { g: 'a' } });
  f.submit('q', 200, { payload: { g: 'b' } });
  f.submit('q', 300, { payload: { g: 'c' } });
  t.equal(f.leased('q'), 2, 'a and b run; a2 waits for its group, c for the window');

  // Replay the journal (no workers): the same window.
  const replayed = new Core();
  for (const cmd of f.journal) replayed.apply(cmd);
  replayed.takeEffects();
  const rq = replayed.queues.get('q')!;
  t.same(rq.limits!.spec, f.c.queues.get('q')!.limits!.spec);
  t.equal(rq.limits!.rateOpensAt(300), 1000, 'the starts at 0 and 200 were replayed');
  t.equal(rq.limits!.groupRunning.get('a'), 1);

  // Snapshot and restore: the same, then recovery requeues the leases.
  const restored = Core.restore(structuredClone(f.c.snapshot()));
  const sq = restored.queues.get('q')!;
  t.equal(sq.limits!.rateOpensAt(300), 1000);
  t.same([...sq.limits!.groupRunning.keys()].sort(), ['a', 'b']);
  restored.apply({ type: 'recover', now: 400 });
  t.equal(sq.limits!.groupRunning.size, 0, 'lost leases leave their groups');
  restored.apply({
    type: 'worker.register',
    now: 500,
    workerId: 'w2',
    kind: 'push',
    session: 's',
    queues: ['q'],
    capabilities: [],
    concurrency: 10,
  });
  t.equal(sq.leased, 0, 'the window from before the restart still holds until 1000');
  restored.apply({ type: 'tick', now: 1000 });
  t.equal(sq.leased, 1, 'one at 1000 (the start at 0 left the window)');
  restored.apply({ type: 'tick', now: 1200 });
  t.equal(sq.leased, 2);
});
