import t from 'tap';
import fc from 'fast-check';
import {
  backoffDelay,
  Core,
  type Command,
  type HubEvent,
  type TaskSpec,
} from '../../server/core/index.js';
import { Deque } from '../../server/core/deque.js';
import { MinHeap } from '../../server/core/min-heap.js';

/** A core with an explicit clock and helpers that read like the rules. */
class Fixture {
  readonly core: Core;
  now = 1_000;
  events: HubEvent[] = [];
  journal: object[] = [];
  private n = 0;

  constructor(options: ConstructorParameters<typeof Core>[0] = {}) {
    this.core = new Core({
      heartbeatTimeoutMs: 1000,
      disconnectGraceMs: 500,
      httpLeaseTimeoutMs: 800,
      resultTtlMs: 10_000,
      ...options,
    });
  }

  apply(cmd: Command) {
    const r = this.core.apply(cmd);
    const fx = this.core.takeEffects();
    this.events.push(...fx.events);
    this.journal.push(...fx.journal);
    return r;
  }

  submit(spec: Partial<TaskSpec> = {}, id = `t${++this.n}`): string {
    const r = this.apply({
      type: 'task.submit',
      now: this.now,
      tasks: [{ id, spec: { queue: 'q', ...spec } }],
    });
    if (!r.ok) throw new Error(r.message);
    return r.taskIds![0]!;
  }

  worker(
    id: string,
    opts: { queues?: string[]; caps?: string[]; concurrency?: number; kind?: 'ws' | 'http' } = {},
  ) {
    return this.apply({
      type: 'worker.register',
      now: this.now,
      workerId: id,
      kind: opts.kind ?? 'ws',
      session: `s-${id}`,
      queues: opts.queues ?? ['q'],
      capabilities: opts.caps ?? [],
      concurrency: opts.concurrency ?? 1,
    });
  }

  complete(taskId: string, result: unknown = 'ok') {
    const task = this.core.tasks.get(taskId)!;
    return this.apply({
      type: 'task.complete',
      now: this.now,
      taskId,
      workerId: task.workerId!,
      attempt: task.attempt,
      result,
    });
  }

  fail(taskId: string, retryable = true) {
    const task = this.core.tasks.get(taskId)!;
    return this.apply({
      type: 'task.fail',
      now: this.now,
      taskId,
      workerId: task.workerId!,
      attempt: task.attempt,
      error: { code: 'E', message: 'boom' },
      retryable,
    });
  }

  advance(ms: number) {
    this.now += ms;
    this.apply({ type: 'tick', now: this.now });
  }

  state(id: string) {
    return this.core.tasks.get(id)?.state;
  }

  assignedTo(workerId: string): string[] {
    return [...this.core.workers.get(workerId)!.running];
  }

  take<T extends HubEvent['type']>(type: T): Extract<HubEvent, { type: T }>[] {
    const out = this.events.filter((e) => e.type === type) as Extract<HubEvent, { type: T }>[];
    this.events = this.events.filter((e) => e.type !== type);
    return out;
  }
}

t.test('four priority levels, FIFO within a level', async (t) => {
  const f = new Fixture();
  const ids = ['low', 'normal', 'high', 'critical', 'low', 'critical'].map((p, i) =>
    f.submit({ priority: p as TaskSpec['priority'] }, `${p}${i}`),
  );
  t.equal(ids.length, 6);
  f.worker('w');
  const order: string[] = [];
  for (let i = 0; i < 6; i++) {
    const [id] = f.assignedTo('w');
    order.push(id!);
    f.complete(id!);
  }
  t.same(order, ['critical3', 'critical5', 'high2', 'normal1', 'low0', 'low4']);
});

t.test(
  'capability routing: a task goes only to a worker offering all its requirements, and does not block others',
  async (t) => {
    const f = new Fixture();
    const gpu = f.submit({ requires: ['gpu', 'cuda'] });
    const plain = f.submit({});
    f.worker('cpu', { caps: ['linux'] });
    t.same(
      f.assignedTo('cpu'),
      [plain],
      'the plain task behind the gpu task went to the cpu worker',
    );
    t.equal(f.state(gpu), 'queued');
    f.worker('half', { caps: ['gpu'] });
    t.same(f.assignedTo('half'), [], 'gpu without cuda is not enough');
    f.worker('full', { caps: ['cuda', 'gpu', 'linux'] });
    t.same(f.assignedTo('full'), [gpu]);
  },
);

t.test('per-worker concurrency slots and round-robin spread', async (t) => {
  const f = new Fixture();
  f.worker('a', { concurrency: 2 });
  f.worker('b', { concurrency: 2 });
  for (let i = 0; i < 5; i++) f.submit();
  t.equal(f.assignedTo('a').length, 2);
  t.equal(f.assignedTo('b').length, 2);
  t.equal(f.core.queue('q').runnable, 1, 'the fifth waits for a free slot');
  f.complete(f.assignedTo('a')[0]!);
  t.equal(f.assignedTo('a').length, 2, 'the freed slot is filled at once');
  t.equal(f.core.queue('q').runnable, 0);
});

t.test(
  'heartbeats keep leases; missed heartbeats lose them to the FRONT of the queue, attempt counted',
  async (t) => {
    const f = new Fixture();
    f.worker('w');
    const a = f.submit();
    const b = f.submit();
    for (let i = 0; i < 5; i++) {
      f.advance(400);
      f.apply({ type: 'worker.heartbeat', now: f.now, workerId: 'w' });
    }
    t.equal(f.state(a), 'leased', 'alive while heartbeats come');
    f.advance(1001);
    t.equal(f.take('worker.removed')[0]!.reason, 'heartbeat-timeout');
    t.equal(f.state(a), 'queued');
    t.equal(f.core.tasks.get(a)!.attempt, 1, 'the lost attempt counts');
    f.worker('w2');
    t.same(f.assignedTo('w2'), [a], 'it went back in front of b');
    t.equal(f.core.tasks.get(a)!.attempt, 2);
    t.equal(f.state(b), 'queued');
  },
);

t.test(
  'disconnect grace: back in time with the lease claimed keeps it; otherwise requeued after the grace period',
  async (t) => {
    const f = new Fixture();
    f.worker('w');
    const a = f.submit();
    f.apply({ type: 'worker.disconnect', now: f.now, workerId: 'w', session: 's-w' });
    f.advance(300);
    const r = f.apply({
      type: 'worker.register',
      now: f.now,
      workerId: 'w',
      kind: 'ws',
      session: 's-w2',
      queues: ['q'],
      capabilities: [],
      concurrency: 1,
      running: [{ taskId: a, attempt: 1 }],
    });
    t.same(r.ok && r.resumed, [a]);
    f.advance(300);
    f.apply({ type: 'worker.heartbeat', now: f.now, workerId: 'w' });
    f.advance(300);
    t.equal(f.state(a), 'leased', 'still leased after the grace period passed: it was claimed');
    f.apply({ type: 'worker.disconnect', now: f.now, workerId: 'w', session: 's-w2' });
    f.advance(499);
    t.equal(f.state(a), 'leased', 'within grace');
    f.advance(2);
    t.equal(f.state(a), 'queued', 'grace expired: requeued');
    t.equal(f.take('worker.removed')[0]!.reason, 'grace-expired');
  },
);

t.test(
  'a reconnect that does not claim a lease loses it; stale attempts are refused',
  async (t) => {
    const f = new Fixture();
    f.worker('w');
    const a = f.submit();
    f.worker('w'); // re-register without `running`
    t.equal(f.core.tasks.get(a)!.attempt, 2, 'requeued and leased again as attempt 2');
    const stale = f.apply({
      type: 'task.complete',
      now: f.now,
      taskId: a,
      workerId: 'w',
      attempt: 1,
      result: 'late',
    });
    t.equal(!stale.ok && stale.code, 'LEASE_NOT_HELD');
    const other = f.apply({
      type: 'task.complete',
      now: f.now,
      taskId: a,
      workerId: 'x',
      attempt: 2,
    });
    t.equal(!other.ok && other.code, 'LEASE_NOT_HELD', 'another worker cannot complete it');
    const progress = f.apply({
      type: 'task.progress',
      now: f.now,
      taskId: a,
      workerId: 'x',
      attempt: 2,
      value: 1,
    });
    t.equal(!progress.ok && progress.code, 'LEASE_NOT_HELD', 'nor report progress');
    t.ok(f.complete(a).ok);
  },
);

t.test('task timeout: lease revoked, failure recorded, retried with backoff', async (t) => {
  const f = new Fixture({ defaultBackoff: { type: 'fixed', delayMs: 100 } });
  f.worker('w');
  const a = f.submit({ timeoutMs: 50 });
  f.advance(51);
  const revoked = f.take('lease.revoked');
  t.same(
    revoked.map((e) => [e.taskId, e.attempt, e.reason]),
    [[a, 1, 'timeout']],
  );
  t.equal(f.state(a), 'delayed');
  t.equal(f.core.tasks.get(a)!.error!.code, 'TIMEOUT');
  f.advance(100);
  t.equal(f.state(a), 'leased', 'retried after the backoff');
  t.equal(f.core.tasks.get(a)!.attempt, 2);
});

t.test(
  'retries: exponential backoff with jitter up to maxAttempts, then the dead-letter queue',
  async (t) => {
    const spec = { type: 'exponential' as const, delayMs: 1000, maxDelayMs: 60_000 };
    for (const attempt of [1, 2, 3, 6, 12]) {
      const base = Math.min(1000 * 2 ** (attempt - 1), 60_000);
      t.equal(backoffDelay(spec, attempt, 0), base / 2, `attempt ${attempt}: at least half`);
      t.equal(
        backoffDelay(spec, attempt, 0.999999),
        Math.round(base / 2 + (base / 2) * 0.999999),
        `attempt ${attempt}: at most the full delay`,
      );
    }
    const f = new Fixture();
    f.worker('w');
    const a = f.submit({ maxAttempts: 3, backoff: { type: 'exponential', delayMs: 100 } });
    f.fail(a);
    const r1 = f.core.tasks.get(a)!.runAt - f.now;
    t.ok(r1 >= 50 && r1 <= 100, `first retry in ${r1} ms`);
    f.advance(r1);
    f.fail(a);
    const r2 = f.core.tasks.get(a)!.runAt - f.now;
    t.ok(r2 >= 100 && r2 <= 200, `second retry in ${r2} ms (doubled)`);
    f.advance(r2);
    f.fail(a);
    t.equal(f.state(a), 'dead', 'after 3 attempts');
    t.ok(f.core.queue('q').dead.has(a));
    const b = f.submit({ maxAttempts: 5 });
    f.fail(b, false);
    t.equal(f.state(b), 'dead', 'not retryable: dead at once');
    t.equal(f.core.tasks.get(b)!.attempt, 1);
    t.ok(
      f.apply({ type: 'task.retry', now: f.now, taskId: a }).ok,
      'an operator can retry a dead task',
    );
    t.equal(f.core.tasks.get(a)!.attempt, 1, 'attempts start over');
    t.notOk(f.core.queue('q').dead.has(a));
    const purged = f.apply({ type: 'queue.purge-dead', now: f.now, queue: 'q' });
    t.equal(purged.ok && purged.count, 1);
    t.notOk(f.core.tasks.has(b));
  },
);

t.test('delayed tasks (delayMs and runAt) and TTL expiry with a reason', async (t) => {
  const f = new Fixture();
  const d = f.submit({ delayMs: 500 });
  const r = f.submit({ runAt: f.now + 200 });
  t.equal(f.state(d), 'delayed');
  f.worker('w', { concurrency: 5 });
  t.same(f.assignedTo('w'), []);
  f.advance(200);
  t.same(f.assignedTo('w'), [r]);
  f.advance(300);
  t.same(f.assignedTo('w').sort(), [d, r].sort());

  const g = new Fixture();
  const e = g.submit({ ttlMs: 100 });
  const later = g.submit({ ttlMs: 100, delayMs: 1000 });
  g.advance(101);
  t.equal(g.state(e), 'expired');
  t.equal(g.core.tasks.get(e)!.error!.code, 'EXPIRED');
  t.equal(g.take('task.expired').length, 1);
  t.equal(g.state(later), 'delayed', 'TTL counts from when the task becomes runnable');
  g.advance(1000);
  t.equal(g.state(later), 'expired');
  const started = g.submit({ ttlMs: 100 });
  g.worker('w');
  g.advance(500);
  t.equal(g.state(started), 'leased', 'a started task never expires');
});

t.test(
  'idempotency keys: a second submit returns the first task while it is retained',
  async (t) => {
    const f = new Fixture();
    const a = f.submit({ idempotencyKey: 'order-7' });
    const r = f.apply({
      type: 'task.submit',
      now: f.now,
      tasks: [
        { id: 'x1', spec: { queue: 'q', idempotencyKey: 'order-7' } },
        { id: 'x2', spec: { queue: 'other', idempotencyKey: 'order-7' } },
      ],
    });
    t.same(
      r.ok && r.taskIds,
      [a, 'x2'],
      'same key, same queue: the first task; another queue: a new one',
    );
    t.same(r.ok && r.duplicates, [0]);
    f.worker('w');
    f.complete(a);
    f.now += 10_001;
    const gc = f.apply({ type: 'gc', now: f.now });
    t.equal(gc.ok && gc.count, 1, 'the result is evicted after resultTtlMs');
    t.notOk(f.core.tasks.has(a));
    t.not(f.submit({ idempotencyKey: 'order-7' }, 'fresh'), a, 'and the key is free again');
  },
);

t.test('results are kept for resultTtlMs, then evicted by gc', async (t) => {
  const f = new Fixture();
  f.worker('w');
  const a = f.submit({ resultTtlMs: 50 });
  f.complete(a, { answer: 42 });
  t.same(f.core.tasks.get(a)!.result, { answer: 42 });
  f.now += 49;
  f.apply({ type: 'gc', now: f.now });
  t.ok(f.core.tasks.has(a));
  f.now += 1;
  f.apply({ type: 'gc', now: f.now });
  t.notOk(f.core.tasks.has(a));
});

t.test(
  'cancel: queued, delayed, running (the worker is told, its slot freed), finished',
  async (t) => {
    const f = new Fixture();
    const q = f.submit();
    const d = f.submit({ delayMs: 1000 });
    t.ok(f.apply({ type: 'task.cancel', now: f.now, taskId: q }).ok);
    t.ok(f.apply({ type: 'task.cancel', now: f.now, taskId: d }).ok);
    t.equal(f.core.queue('q').runnable, 0);
    t.equal(f.core.queue('q').delayed, 0);
    const running = f.submit();
    const next = f.submit();
    f.worker('w');
    t.same(f.assignedTo('w'), [running]);
    f.apply({ type: 'task.cancel', now: f.now, taskId: running, reason: 'stop' });
    t.same(
      f.take('lease.revoked').map((e) => [e.workerId, e.reason]),
      [['w', 'cancelled']],
    );
    t.same(f.assignedTo('w'), [next], 'slot freed and refilled');
    t.equal(f.core.tasks.get(running)!.error!.message, 'stop');
    const again = f.apply({ type: 'task.cancel', now: f.now, taskId: running });
    t.equal(!again.ok && again.code, 'INVALID_STATE');
    f.advance(2000);
    t.equal(f.state(d), 'cancelled', 'a cancelled delayed task never runs');
  },
);

t.test(
  'a worker re-registering with less concurrency never exceeds it; released tasks keep their order',
  async (t) => {
    const f = new Fixture();
    const a = f.submit({ priority: 'critical' });
    f.worker('w', { concurrency: 2 });
    const b = f.submit({ priority: 'critical' });
    t.same(f.assignedTo('w'), [a, b]);
    f.worker('w', { concurrency: 1 });
    t.same(f.assignedTo('w'), [a], 'one slot, and the older task takes it');
    t.equal(f.state(b), 'queued');
  },
);

t.test(
  'equal expiry times: live, replay and a restored snapshot evict the same tasks',
  async (t) => {
    const f = new Fixture({ maxFinishedTasks: 1 });
    f.worker('w');
    const a = f.submit({ resultTtlMs: 1000 });
    // Nobody serves queue "idle": b and c expire in the same tick, both kept until 3000.
    const b = f.submit({ queue: 'idle', ttlMs: 1500, resultTtlMs: 500 });
    const c = f.submit({ queue: 'idle', ttlMs: 1500, resultTtlMs: 500 });
    const snap = f.core.snapshot();
    const atSnap = f.journal.length;
    f.now = 2000;
    f.complete(a); // kept until 3000
    f.advance(500); // one tick expires b and c at 2500
    const ids = [a, b, c];
    t.same(
      ids.map((id) => f.state(id) ?? 'evicted'),
      ['evicted', 'evicted', 'expired'],
      'the tie between b and c goes to the older task',
    );
    const replayed = Core.restore(undefined, f.core.options);
    for (const r of f.journal) replayed.apply(r as Command);
    t.same(
      ids.filter((id) => replayed.tasks.has(id)),
      [c],
      'replay keeps the same one',
    );
    const restored = Core.restore(snap, f.core.options);
    for (const r of f.journal.slice(atSnap)) restored.apply(r as Command);
    t.same(
      ids.filter((id) => restored.tasks.has(id)),
      [c],
      'so does a hub restored from a snapshot taken before',
    );
  },
);

t.test(
  'finished tasks are bounded: beyond maxFinishedTasks the soonest-expiring go first',
  async (t) => {
    const f = new Fixture({ maxFinishedTasks: 3 });
    f.worker('w', { concurrency: 10 });
    const ids = Array.from({ length: 5 }, () => f.submit());
    for (const id of ids) {
      f.complete(id, id);
      f.now += 1;
    }
    t.same(
      ids.map((id) => f.core.tasks.has(id)),
      [false, false, true, true, true],
      'the two oldest results were evicted',
    );
    t.same(
      f.take('task.evicted').map((e) => e.taskId),
      ids.slice(0, 2),
      'each eviction is an event',
    );
    const dead = f.submit({ maxAttempts: 1 });
    f.fail(dead, false);
    f.complete(f.submit(), 'x');
    t.equal(f.state(dead), 'dead', 'dead tasks do not count and are never evicted');
    t.equal(f.core.tasks.get(ids[4]!)!.result, ids[4], 'newest results kept');
    t.notOk(f.core.tasks.has(ids[2]!), 'one more completion, one more eviction');
  },
);

t.test('pause and resume a queue', async (t) => {
  const f = new Fixture();
  f.apply({ type: 'queue.pause', now: f.now, queue: 'q' });
  f.worker('w');
  const a = f.submit();
  t.same(f.assignedTo('w'), []);
  f.apply({ type: 'queue.resume', now: f.now, queue: 'q' });
  t.same(f.assignedTo('w'), [a]);
});

t.test(
  'HTTP workers pull; their leases expire after httpLeaseTimeoutMs without a call',
  async (t) => {
    const f = new Fixture();
    f.worker('h', { kind: 'http', concurrency: 3 });
    const a = f.submit();
    t.equal(f.state(a), 'queued', 'never pushed to');
    const r = f.apply({ type: 'worker.pull', now: f.now, workerId: 'h', max: 5 });
    t.same(r.ok && r.leased!.map((x) => x.id), [a]);
    f.advance(700);
    f.apply({ type: 'worker.pull', now: f.now, workerId: 'h', max: 1 });
    f.advance(700);
    t.equal(f.state(a), 'leased', 'polling keeps it alive');
    f.advance(200);
    t.equal(f.state(a), 'queued', 'silent past the lease timeout: requeued');
  },
);

t.test(
  "a snapshot keeps each task's options; restored default tasks share one options object",
  async (t) => {
    const f = new Fixture();
    const plain = f.submit();
    const plain2 = f.submit();
    const custom = f.submit({
      maxAttempts: 7,
      timeoutMs: 900,
      requires: ['gpu', 'avx'],
      idempotencyKey: 'k1',
      backoff: { type: 'fixed', delayMs: 5 },
    });
    // Through msgpack, as the snapshot file does (undefined fields come back as they went).
    const { pack, unpack } = await import('msgpackr');
    const restored = Core.restore(unpack(pack(f.core.snapshot())), { resultTtlMs: 10_000 });
    const a = restored.tasks.get(plain)!.options;
    t.equal(a, restored.tasks.get(plain2)!.options, 'default tasks share one options object');
    t.equal(a.maxAttempts, 3);
    t.same(restored.tasks.get(custom)!.options, {
      maxAttempts: 7,
      backoff: { type: 'fixed', delayMs: 5 },
      timeoutMs: 900,
      resultTtlMs: 10_000,
      requires: ['avx', 'gpu'],
      idempotencyKey: 'k1',
    });
    const dup = restored.apply({
      type: 'task.submit',
      now: f.now,
      tasks: [{ id: 'again', spec: { queue: 'q', idempotencyKey: 'k1' } }],
    });
    t.same(dup.ok && dup.taskIds, [custom], 'the idempotency key survives the snapshot');
  },
);

t.test('recover: every lease held at crash time is lost, attempt counted', async (t) => {
  const f = new Fixture();
  f.worker('w', { concurrency: 2 });
  const a = f.submit();
  const b = f.submit();
  const replayed = Core.restore(undefined);
  for (const r of f.journal) replayed.apply(r as Command);
  replayed.takeEffects();
  t.equal(replayed.tasks.get(a)!.state, 'leased');
  replayed.apply({ type: 'recover', now: f.now });
  t.equal(replayed.tasks.get(a)!.state, 'queued');
  t.equal(replayed.tasks.get(b)!.attempt, 1);
  t.same(
    [...replayed.queue('q').queuedInOrder()].map((x) => x.id),
    [a, b],
    'in their original order',
  );
});

t.test('invariants under random command sequences (property)', async (t) => {
  const cmd = fc.oneof(
    fc.record({
      k: fc.constant('submit'),
      p: fc.constantFrom('critical', 'high', 'normal', 'low'),
      req: fc.boolean(),
      delay: fc.constantFrom(0, 0, 50),
    }),
    fc.record({
      k: fc.constant('register'),
      w: fc.integer({ min: 0, max: 3 }),
      c: fc.integer({ min: 1, max: 3 }),
      gpu: fc.boolean(),
    }),
    fc.record({ k: fc.constant('complete'), i: fc.nat() }),
    fc.record({ k: fc.constant('fail'), i: fc.nat(), retry: fc.boolean() }),
    fc.record({ k: fc.constant('disconnect'), w: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ k: fc.constant('cancel'), i: fc.nat() }),
    fc.record({ k: fc.constant('tick'), ms: fc.integer({ min: 1, max: 400 }) }),
  );
  fc.assert(
    fc.property(fc.array(cmd, { maxLength: 80 }), fc.constantFrom(1, 3, 100_000), (cmds, cap) => {
      // A small cap makes finished tasks compete for eviction, often with equal expiry
      // times (finished in the same ms): replay must pick the same ones.
      const options = {
        defaultBackoff: { type: 'fixed' as const, delayMs: 10 },
        maxFinishedTasks: cap,
      };
      const f = new Fixture(options);
      let n = 0;
      for (const c of cmds) {
        const ids = [...f.core.tasks.keys()];
        const pick = (i: number) => ids[i % Math.max(1, ids.length)];
        switch (c.k) {
          case 'submit':
            f.submit(
              {
                priority: c.p as TaskSpec['priority'],
                ...(c.req ? { requires: ['gpu'] } : {}),
                ...(c.delay ? { delayMs: c.delay } : {}),
              },
              `p${n++}`,
            );
            break;
          case 'register':
            f.apply({
              type: 'worker.register',
              now: f.now,
              workerId: `w${c.w}`,
              kind: 'ws',
              session: `s${n++}`,
              queues: ['q'],
              capabilities: c.gpu ? ['gpu'] : [],
              concurrency: c.c,
            });
            break;
          case 'complete':
          case 'fail': {
            const id = pick(c.i);
            const task = id ? f.core.tasks.get(id) : undefined;
            if (task?.state === 'leased') {
              if (c.k === 'complete') f.complete(task.id);
              else f.fail(task.id, c.retry);
            }
            break;
          }
          case 'disconnect':
            if (f.core.workers.has(`w${c.w}`))
              f.apply({ type: 'worker.disconnect', now: f.now, workerId: `w${c.w}` });
            break;
          case 'cancel': {
            const id = pick(c.i);
            if (id) f.apply({ type: 'task.cancel', now: f.now, taskId: id });
            break;
          }
          case 'tick':
            f.advance(c.ms);
            break;
        }
        // Invariants after every step.
        const q = f.core.queue('q');
        const queued = [...f.core.tasks.values()].filter((x) => x.state === 'queued').length;
        if (q.runnable !== queued) throw new Error(`depth ${q.runnable} != queued ${queued}`);
        if ([...q.queuedInOrder()].length !== queued)
          throw new Error('a queued task is missing from (or twice in) its queue');
        const leased = [...f.core.tasks.values()].filter((x) => x.state === 'leased');
        if (q.leased !== leased.length) throw new Error('leased counter drifted');
        const holders = new Map<string, number>();
        for (const w of f.core.workers.values()) {
          if (w.running.size > w.concurrency)
            throw new Error(`worker ${w.id} over its concurrency`);
          for (const id of w.running) holders.set(id, (holders.get(id) ?? 0) + 1);
        }
        for (const [id, count] of holders)
          if (count > 1) throw new Error(`task ${id} leased to ${count} workers`);
        for (const x of leased)
          if (
            f.core.workers.has(x.workerId!) &&
            !f.core.workers.get(x.workerId!)!.running.has(x.id)
          )
            throw new Error('lease not in its worker');
      }
      // Replay of the journal reproduces every task's state and attempt.
      const replayed = Core.restore(undefined, f.core.options);
      for (const r of f.journal) replayed.apply(r as Command);
      if (replayed.tasks.size !== f.core.tasks.size)
        throw new Error(`replay holds ${replayed.tasks.size} tasks, live ${f.core.tasks.size}`);
      // And from a snapshot taken now: the same tasks, so the same future evictions.
      const restored = Core.restore(f.core.snapshot(), f.core.options);
      if (restored.tasks.size !== f.core.tasks.size) throw new Error('snapshot lost tasks');
      for (const x of f.core.tasks.values()) {
        const y = replayed.tasks.get(x.id);
        if (!y || y.state !== x.state || y.attempt !== x.attempt)
          throw new Error(
            `replay differs for ${x.id}: ${x.state}/${x.attempt} vs ${y?.state}/${y?.attempt}`,
          );
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass('depth counters exact, no double leases, concurrency respected, replay equals live');
});

t.test('hot operations stay fast at scale (sanity bound, not a benchmark)', async (t) => {
  const f = new Core({});
  const t0 = performance.now();
  const tasks = Array.from({ length: 100_000 }, (_, i) => ({
    id: `s${i}`,
    spec: { queue: 'big' },
  }));
  f.apply({ type: 'task.submit', now: 1, tasks });
  f.apply({
    type: 'worker.register',
    now: 1,
    workerId: 'w',
    kind: 'ws',
    queues: ['big'],
    capabilities: [],
    concurrency: 100,
  });
  for (let i = 0; i < 100_000; i++) {
    const w = f.workers.get('w')!;
    const id = w.running.values().next().value as string;
    f.apply({ type: 'task.complete', now: 2, taskId: id, workerId: 'w', attempt: 1 });
    if ((i & 1023) === 0) f.takeEffects();
  }
  const ms = performance.now() - t0;
  t.ok(ms < 10_000, `100k submits + 100k completes in ${Math.round(ms)} ms`);
  t.equal(f.queue('big').runnable, 0);
});

t.test('data structures: deque and heap', async (t) => {
  const d = new Deque<number>(2);
  for (let i = 0; i < 10; i++) d.push(i);
  d.unshift(-1);
  t.equal(d.length, 11);
  t.same([...d], [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.equal(d.shift(), -1);
  t.equal(d.peek(), 0);
  const h = new MinHeap<string>();
  fc.assert(
    fc.property(fc.array(fc.integer()), (keys) => {
      for (const k of keys) h.push(k, String(k));
      const out: number[] = [];
      while (h.size) out.push(Number(h.pop()));
      return JSON.stringify(out) === JSON.stringify([...keys].sort((a, b) => a - b));
    }),
  );
  t.pass('heap pops in key order');
});
