import t from 'tap';
import {
  Core,
  replay,
  SubjectIndex,
  type Command,
  type HubEvent,
} from '../../server/core/index.js';
import { subjectCovers, subjectMatches, subjectProblem } from '../../protocol/index.js';

/** A core driven with an explicit clock; the journal kept, as the store would. */
function fixture() {
  const core = new Core({ busAckWaitMs: 1000, busDedupWindowMs: 5000, busMaxPending: 3 });
  const journal: object[] = [];
  const events: HubEvent[] = [];
  let now = 1000;
  const run = (cmd: Command) => {
    const r = core.apply(cmd);
    const fx = core.takeEffects();
    journal.push(...fx.journal);
    events.push(...fx.events);
    return r;
  };
  return {
    core,
    journal,
    events,
    run,
    at: (ms: number) => (now = ms),
    get now() {
      return now;
    },
    deliveries: () => events.filter((e) => e.type === 'bus.deliver'),
  };
}

const pub = (now: number, id: string, topic: string, extra: object = {}): Command => ({
  type: 'bus.publish',
  now,
  message: { id, topic, data: id, priority: 2, qos: 'at-least-once', ...extra },
  dedup: false,
});

t.test('subjects: matching, covering and validation', async (t) => {
  t.ok(subjectMatches('a.*.c', 'a.b.c'));
  t.notOk(subjectMatches('a.*', 'a.b.c'));
  t.ok(subjectMatches('a.>', 'a.b.c'));
  t.notOk(subjectMatches('a.>', 'a'), '> needs at least one token');
  t.notOk(subjectMatches('>', '$sys.task.completed'), 'a leading wildcard never matches $sys');
  t.ok(subjectMatches('$sys.>', '$sys.task.completed'));
  t.ok(subjectCovers('a.>', 'a.*.c'));
  t.notOk(subjectCovers('a.*', 'a.>'));
  t.ok(subjectCovers('*.b', 'x.b'));
  t.notOk(subjectCovers('a.b', 'a.*'));
  t.equal(subjectProblem('a.b', false), undefined);
  t.match(subjectProblem('a.*', false), /wildcard/);
  t.match(subjectProblem('a.>.b', true), /before its last token/);
  t.match(subjectProblem('a b', true), /token "a b"/);
  const idx = new SubjectIndex<string>();
  for (const p of ['a.*.c', 'a.>', 'a.b.c', '>', '*.b.*', '$sys.>']) idx.add(p, p);
  t.same([...idx.match('a.b.c', new Set())].sort(), ['*.b.*', '>', 'a.*.c', 'a.>', 'a.b.c']);
  t.same([...idx.match('$sys.x', new Set())], ['$sys.>']);
  idx.remove('a.>', 'a.>');
  idx.remove('>', '>');
  t.same([...idx.match('a.b.c', new Set())].sort(), ['*.b.*', 'a.*.c', 'a.b.c']);
  t.equal(idx.size, 4);
});

t.test('durable consumer: stored messages survive a replay of the journal, acks too', async (t) => {
  const f = fixture();
  f.run({
    type: 'bus.subscribe',
    now: 1,
    session: 's1',
    sid: 1,
    pattern: 'x.>',
    durable: 'd',
    maxInFlight: 2,
  });
  for (const id of ['m1', 'm2', 'm3']) f.run(pub(2, id, 'x.y'));
  t.same(
    f.deliveries().map((e) => (e as { id: string }).id),
    ['m1', 'm2'],
    'delivered up to maxInFlight',
  );
  f.run({ type: 'bus.ack', now: 3, session: 's1', sid: 1, msgId: 'm1' });
  t.equal(f.deliveries().length, 3, 'an ack makes room for the next');
  const again = new Core({ busMaxPending: 3 });
  await replay(again, f.journal);
  const c = again.bus.consumers.get('d:d')!;
  t.ok(c, 'the durable consumer is rebuilt');
  t.same(
    [...c.waiting].sort(),
    ['m2', 'm3'],
    'what was not acked waits again (deliveries are not durable)',
  );
  t.notOk(again.bus.messages.has('m1'), 'the acked message is gone');
  const snap = Core.restore(again.snapshot(), {});
  t.same(
    [...snap.bus.consumers.get('d:d')!.waiting].sort(),
    ['m2', 'm3'],
    'and so does a snapshot',
  );
});

t.test('a publish over the limit of a subscription is refused and changes nothing', async (t) => {
  const f = fixture();
  f.run({
    type: 'bus.subscribe',
    now: 1,
    session: 's1',
    sid: 1,
    pattern: 'x',
    durable: 'd',
    maxInFlight: 1,
  });
  for (const id of ['a', 'b', 'c']) t.ok(f.run(pub(2, id, 'x')).ok);
  const journaled = f.journal.length;
  const r = f.run(pub(2, 'd', 'x'));
  t.match(r, { ok: false, code: 'SUBSCRIPTION_FULL' });
  t.equal(f.journal.length, journaled, 'nothing journaled');
  t.notOk(f.core.bus.messages.has('d'));
});

t.test('TTL: an undelivered message expires by tick, journaled, with an event', async (t) => {
  const f = fixture();
  f.run({ type: 'bus.consumer.create', now: 1, name: 'away', pattern: 'x' });
  f.run(pub(10, 'm', 'x', { ttlMs: 100 }));
  f.run({ type: 'tick', now: 50 });
  t.ok(f.core.bus.messages.has('m'), 'kept before its TTL');
  f.run({ type: 'tick', now: 111 });
  t.notOk(f.core.bus.messages.has('m'), 'gone after');
  t.ok(
    f.events.some((e) => e.type === 'bus.expired'),
    'with a bus.expired event',
  );
  t.ok(
    f.journal.some((c) => (c as { type: string }).type === 'bus.expire'),
    'journaled',
  );
});

t.test(
  'exactly-once dedup window: a second publish of an id is a duplicate until the window ends',
  async (t) => {
    const f = fixture();
    f.run({ type: 'bus.consumer.create', now: 1, name: 'd', pattern: 'x' });
    const first = f.run({ ...pub(10, 'id1', 'x'), dedup: true } as Command);
    f.run({ type: 'bus.acked', now: 11, consumer: 'd:d', msgId: 'id1' });
    const second = f.run({ ...pub(20, 'id1', 'x'), dedup: true } as Command);
    t.match(first, { ok: true, count: 1 });
    t.match(
      second,
      { ok: true, duplicates: [0] },
      'a duplicate within the window, even after its ack',
    );
    f.run({ type: 'gc', now: 6000 });
    const third = f.run({ ...pub(6001, 'id1', 'x'), dedup: true } as Command);
    t.match(third, { ok: true, count: 1 }, 'a new message after the window');
  },
);

t.test('ack wait: a delivered message not acked in time goes to another member', async (t) => {
  const f = fixture();
  for (const session of ['s1', 's2'])
    f.run({
      type: 'bus.subscribe',
      now: 1,
      session,
      sid: 1,
      pattern: 'x',
      group: 'g',
      maxInFlight: 5,
    });
  f.run(pub(2, 'm', 'x'));
  const first = f.deliveries()[0] as { session: string; attempt: number };
  f.run({ type: 'tick', now: 1003 });
  const second = f.deliveries()[1] as { session: string; attempt: number };
  t.ok(second, 'delivered again after the ack wait');
  t.equal(second.attempt, 2);
  t.not(second.session, first.session, 'to the other member of the group');
});

t.test('a transaction is all or nothing, and replays to the same state', async (t) => {
  const f = fixture();
  f.run({ type: 'task.submit', now: 1, tasks: [{ id: 't1', spec: { queue: 'q', delayMs: 1e6 } }] });
  const bad = f.run({
    type: 'txn',
    now: 2,
    ops: [
      { type: 'task.submit', now: 2, tasks: [{ id: 't2', spec: { queue: 'q' } }] },
      { type: 'task.cancel', now: 2, taskId: 'nope' },
    ],
  });
  t.match(bad, { ok: false, code: 'TASK_NOT_FOUND', message: /member 2/ });
  t.notOk(f.core.tasks.has('t2'), 'the first member was not applied');
  const good = f.run({
    type: 'txn',
    now: 3,
    ops: [
      { type: 'task.submit', now: 3, tasks: [{ id: 't3', spec: { queue: 'q' } }] },
      { type: 'task.cancel', now: 3, taskId: 't1' },
    ],
  });
  t.ok(good.ok);
  const again = new Core();
  await replay(again, f.journal);
  t.equal(again.tasks.get('t1')?.state, 'cancelled');
  t.equal(again.tasks.get('t3')?.state, 'queued');
  t.notOk(again.tasks.has('t2'));
  t.equal(
    f.journal.filter((c) => (c as { type: string }).type === 'txn').length,
    1,
    'one record for the group',
  );
});
