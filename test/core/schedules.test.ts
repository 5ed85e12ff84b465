import t from 'tap';
import { Core, MISSED_AFTER_MS, type Command, type HubEvent } from '../../server/core/index.js';
import type { ScheduleCommand } from '../../server/core/index.js';

/**
 * The rules of schedules (docs/schedules.md) with an explicit clock: cron occurrences across
 * DST changes and month ends, intervals, a clock that jumps forward or back, fires missed
 * while no hub ran (recover), and replay: a journaled fire never makes a second task.
 */

type Create = Omit<Extract<ScheduleCommand, { type: 'schedule.create' }>, 'type' | 'now' | 'id'>;

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (text: string) => Date.parse(text);

function harness(start: number) {
  let c = new Core({ heartbeatTimeoutMs: 1e12, httpLeaseTimeoutMs: 1e12 });
  const journal: Command[] = [];
  const fired: Extract<HubEvent, { type: 'schedule.fired' }>[] = [];
  let now = start;
  let ids = 0;
  const take = () => {
    const fx = c.takeEffects();
    journal.push(...(fx.journal as Command[]));
    for (const e of fx.events) if (e.type === 'schedule.fired') fired.push(e);
  };
  const apply = (cmd: Command) => {
    const r = c.apply(cmd);
    take();
    return r;
  };
  const must = (cmd: Command) => {
    const r = apply(cmd);
    if (!r.ok) throw new Error(r.message);
    return r;
  };
  const create = (spec: Create, at = now) =>
    apply({ type: 'schedule.create', now: at, id: `s${++ids}`, ...spec });
  /** A hub with a perfect timer: tick at every wakeup up to `to`, then at `to`. */
  const runUntil = (to: number) => {
    for (;;) {
      const next = c.nextWakeAt();
      if (next === undefined || next > to) break;
      now = Math.max(now, next);
      must({ type: 'tick', now });
    }
    now = to;
    must({ type: 'tick', now });
  };
  /** The clock reads `to` from here on (forward or back), and the hub ticks once. */
  const jump = (to: number) => {
    now = to;
    must({ type: 'tick', now });
  };
  const fireTimes = (name: string) =>
    fired.filter((e) => e.schedule.name === name && e.taskId !== undefined).map((e) => iso(e.at));
  const tasksOf = (name: string) => {
    const id = c.schedules.byName.get(name)?.id;
    return [...c.tasks.values()].filter((task) => id !== undefined && task.id.startsWith(id + '.'));
  };
  return {
    get c() {
      return c;
    },
    set c(v: Core) {
      c = v;
    },
    get now() {
      return now;
    },
    set now(v: number) {
      now = v;
    },
    journal,
    fired,
    apply,
    must,
    create,
    runUntil,
    jump,
    fireTimes,
    tasksOf,
  };
}

const task = { queue: 'reports', payload: { kind: 'daily' }, priority: 'high' as const };

t.test('cron with seconds: one task per occurrence, made from the template', async (t) => {
  const h = harness(ms('2026-01-01T00:00:07Z'));
  t.ok(h.create({ name: 'q15', cron: '*/15 * * * * *', task }).ok);
  h.runUntil(ms('2026-01-01T00:01:00Z'));
  t.same(h.fireTimes('q15'), [
    '2026-01-01T00:00:15.000Z',
    '2026-01-01T00:00:30.000Z',
    '2026-01-01T00:00:45.000Z',
    '2026-01-01T00:01:00.000Z',
  ]);
  const tasks = h.tasksOf('q15');
  t.equal(tasks.length, 4);
  t.equal(new Set(tasks.map((x) => x.id)).size, 4, 'distinct task ids');
  t.same(tasks[0]!.payload, { kind: 'daily' });
  t.equal(tasks[0]!.queue, 'reports');
  t.equal(tasks[0]!.priority, 1, 'priority high');
  t.equal(tasks[0]!.createdAt, ms('2026-01-01T00:00:15Z'), 'made at the occurrence');
  const r = h.c.schedules.byName.get('q15')!;
  t.equal(r.fires, 4);
  t.equal(iso(r.nextAt), '2026-01-01T00:01:15.000Z');
});

t.test('Europe/Berlin spring forward: a skipped wall time runs at 03:00, once', async (t) => {
  const h = harness(ms('2026-03-27T12:00:00Z'));
  h.create({ name: 'nightly', cron: '30 2 * * *', tz: 'Europe/Berlin', task });
  h.create({ name: 'hourly', cron: '15 * * * *', tz: 'Europe/Berlin', task });
  h.runUntil(ms('2026-03-30T12:00:00Z'));
  t.same(h.fireTimes('nightly'), [
    '2026-03-28T01:30:00.000Z', // 02:30 CET
    '2026-03-29T01:00:00.000Z', // 02:30 does not exist: 03:00 CEST
    '2026-03-30T00:30:00.000Z', // 02:30 CEST
  ]);
  // 29 March in Berlin has 23 hours: 23 fires from local midnight to local midnight.
  const day = h
    .fireTimes('hourly')
    .filter((x) => x >= '2026-03-28T23:00:00.000Z' && x < '2026-03-29T22:00:00.000Z');
  t.equal(day.length, 23);
  t.equal(new Set(h.fireTimes('hourly')).size, h.fireTimes('hourly').length, 'no repeats');
});

t.test('Europe/Berlin fall back: a repeated wall time fires once (the first)', async (t) => {
  const h = harness(ms('2026-10-24T12:00:00Z'));
  h.create({ name: 'nightly', cron: '30 2 * * *', tz: 'Europe/Berlin', task });
  h.create({ name: 'hourly', cron: '15 * * * *', tz: 'Europe/Berlin', task });
  h.runUntil(ms('2026-10-26T12:00:00Z'));
  t.same(h.fireTimes('nightly'), [
    '2026-10-25T00:30:00.000Z', // 02:30 CEST; 02:30 CET an hour later does not fire again
    '2026-10-26T01:30:00.000Z', // 02:30 CET
  ]);
  // 25 October in Berlin has 25 hours: 25 fires from local midnight to local midnight,
  // one each UTC hour: 02:15 runs in both its CEST and its CET hour (two instants).
  const day = h
    .fireTimes('hourly')
    .filter((x) => x >= '2026-10-24T22:00:00.000Z' && x < '2026-10-25T23:00:00.000Z');
  t.equal(day.length, 25);
  t.equal(h.tasksOf('nightly').length, 2);
});

t.test('month ends: the 31st only in long months; L is the last day of each', async (t) => {
  const h = harness(ms('2026-01-01T00:00:00Z'));
  h.create({ name: 'on31', cron: '0 12 31 * *', task });
  h.create({ name: 'last', cron: '0 12 L * *', task });
  h.runUntil(ms('2026-07-01T00:00:00Z'));
  t.same(h.fireTimes('on31'), [
    '2026-01-31T12:00:00.000Z',
    '2026-03-31T12:00:00.000Z',
    '2026-05-31T12:00:00.000Z',
  ]);
  t.same(h.fireTimes('last'), [
    '2026-01-31T12:00:00.000Z',
    '2026-02-28T12:00:00.000Z',
    '2026-03-31T12:00:00.000Z',
    '2026-04-30T12:00:00.000Z',
    '2026-05-31T12:00:00.000Z',
    '2026-06-30T12:00:00.000Z',
  ]);
});

t.test('intervals: every N ms from the create, on a fixed grid', async (t) => {
  const h = harness(1_000_000);
  h.create({ name: 'tick', everyMs: 30_000, task });
  h.runUntil(1_000_000 + 95_000);
  t.same(
    h.fired.map((e) => e.at - 1_000_000),
    [30_000, 60_000, 90_000],
  );
});

t.test('a late hub coalesces: one fire, then the grid goes on (no burst)', async (t) => {
  const h = harness(0);
  h.create({ name: 'sec', everyMs: 1000, missed: 'skip', task });
  h.runUntil(1000);
  h.jump(6500); // five occurrences passed while the event loop was blocked
  t.same(
    h.fired.map((e) => [e.at, e.missed, e.taskId !== undefined]),
    [
      [1000, false, true],
      [2000, false, true],
    ],
    'one fire for the first passed occurrence, not missed (6.5 s is under the limit)',
  );
  t.equal(h.c.schedules.byName.get('sec')!.nextAt, 7000);
  h.runUntil(8000);
  t.same(
    h.fired.map((e) => e.at),
    [1000, 2000, 7000, 8000],
  );
});

t.test('clock jump forward: the passed occurrences are missed, policy decides', async (t) => {
  for (const missed of ['run-once', 'skip'] as const) {
    const h = harness(ms('2026-05-01T10:00:00Z'));
    h.create({ name: 'm', cron: '0 * * * * *', missed, task });
    h.runUntil(ms('2026-05-01T10:02:00Z'));
    h.jump(ms('2026-05-01T13:00:30Z'));
    const last = h.fired.at(-1)!;
    t.equal(last.missed, true, `${missed}: the fire is missed (3 h late > ${MISSED_AFTER_MS} ms)`);
    t.equal(iso(last.at), '2026-05-01T10:03:00.000Z', 'for the first passed occurrence');
    t.equal(last.taskId !== undefined, missed === 'run-once', `${missed}: task made or not`);
    t.equal(h.tasksOf('m').length, missed === 'run-once' ? 3 : 2);
    const r = h.c.schedules.byName.get('m')!;
    t.equal(r.skipped, missed === 'skip' ? 1 : 0);
    t.equal(iso(r.nextAt), '2026-05-01T13:01:00.000Z', 'next: the first after now');
    h.runUntil(ms('2026-05-01T13:02:00Z'));
    t.equal(h.tasksOf('m').length, missed === 'run-once' ? 5 : 4, 'and on it goes');
  }
});

t.test('clock jump back: no occurrence fires twice', async (t) => {
  const h = harness(ms('2026-05-01T09:58:00Z'));
  h.create({ name: 'five', cron: '*/5 * * * *', task });
  h.create({ name: 'int', everyMs: 300_000, task });
  h.runUntil(ms('2026-05-01T10:00:00Z'));
  t.same(h.fireTimes('five'), ['2026-05-01T10:00:00.000Z']);
  h.jump(ms('2026-05-01T09:30:00Z'));
  h.runUntil(ms('2026-05-01T10:02:59Z'));
  t.equal(h.fired.length, 1, 'nothing fires while the clock is behind');
  h.runUntil(ms('2026-05-01T10:04:59Z'));
  t.same(h.fireTimes('five'), ['2026-05-01T10:00:00.000Z'], '10:00 does not fire again');
  h.runUntil(ms('2026-05-01T10:05:00Z'));
  t.same(h.fireTimes('five'), ['2026-05-01T10:00:00.000Z', '2026-05-01T10:05:00.000Z']);
  t.same(h.fireTimes('int'), ['2026-05-01T10:03:00.000Z'], 'the interval waits for its time');
});

t.test('restart: a fire due while down runs once (run-once) or is skipped (skip)', async (t) => {
  const h = harness(ms('2026-06-01T00:00:00Z'));
  h.create({ name: 'once', cron: '0 * * * *', task });
  h.create({ name: 'skip', cron: '0 * * * *', missed: 'skip', task });
  h.runUntil(ms('2026-06-01T01:30:00Z'));
  t.equal(h.tasksOf('once').length, 1);
  // Down from 01:30 to 05:10: 02:00, 03:00, 04:00 and 05:00 fell due.
  const snapshot = structuredClone(h.c.snapshot());
  const restored = Core.restore(snapshot, { heartbeatTimeoutMs: 1e12 });
  const r = restored.apply({ type: 'recover', now: ms('2026-06-01T05:10:00Z') });
  t.ok(r.ok);
  const { events, journal } = restored.takeEffects();
  const fires = events.filter((e) => e.type === 'schedule.fired');
  t.same(
    fires.map((e) => [e.schedule.name, iso(e.at), e.taskId !== undefined, e.missed]),
    [
      ['once', '2026-06-01T02:00:00.000Z', true, true],
      ['skip', '2026-06-01T02:00:00.000Z', false, true],
    ],
  );
  t.same(
    journal.map((j) => j.type),
    ['schedule.fire', 'schedule.fire'],
    'journaled as fires',
  );
  t.equal(restored.schedules.byName.get('once')!.fires, 2);
  t.equal(restored.schedules.byName.get('skip')!.skipped, 1);
  t.equal(iso(restored.schedules.byName.get('skip')!.nextAt), '2026-06-01T06:00:00.000Z');
  // A second start right after does not fire again: 06:00 is not due.
  restored.apply({ type: 'recover', now: ms('2026-06-01T05:11:00Z') });
  t.equal(restored.takeEffects().journal.length, 0);
});

t.test(
  'replay: the journal rebuilds the schedules; a fire replayed twice makes one task',
  async (t) => {
    const h = harness(ms('2026-06-01T00:00:00Z'));
    h.create({ name: 'a', cron: '*/10 * * * * *', task });
    h.create({ name: 'b', everyMs: 7000, task: { queue: 'other' } });
    h.runUntil(ms('2026-06-01T00:01:00Z'));
    h.must({ type: 'schedule.pause', now: h.now, name: 'b' });
    const live = h.c.snapshot();
    const replayed = new Core();
    for (const cmd of h.journal) replayed.apply(cmd);
    replayed.takeEffects();
    t.same(replayed.snapshot(), live, 'replay gives the live state');
    t.same(Core.restore(structuredClone(live)).snapshot(), live, 'and so does the snapshot');
    // The same records again (a log applied twice): every fire is refused, no task is added.
    const before = replayed.tasks.size;
    const fires = h.journal.filter((c) => c.type === 'schedule.fire');
    t.ok(fires.length >= 6);
    for (const cmd of fires) t.notOk(replayed.apply(cmd).ok);
    t.equal(replayed.tasks.size, before);
  },
);

t.test('pause, resume, remove', async (t) => {
  const h = harness(0);
  h.create({ name: 'p', everyMs: 10_000, task });
  h.runUntil(10_000);
  h.must({ type: 'schedule.pause', now: 12_000, name: 'p' });
  h.runUntil(60_000);
  t.equal(h.tasksOf('p').length, 1, 'no fires while paused');
  t.equal(h.c.schedules.byName.get('p')!.nextAt, 0);
  h.must({ type: 'schedule.resume', now: 61_000, name: 'p' });
  t.equal(h.c.schedules.byName.get('p')!.nextAt, 71_000, 'counted from the resume; none made up');
  h.runUntil(71_000);
  t.equal(h.tasksOf('p').length, 2);
  const id = h.c.schedules.byName.get('p')!.id;
  h.must({ type: 'schedule.remove', now: 72_000, name: 'p' });
  h.runUntil(200_000);
  t.equal(h.fired.length, 2, 'no fires after remove');
  t.equal([...h.c.tasks.values()].filter((x) => x.id.startsWith(id)).length, 2, 'tasks stay');
  t.ok(h.create({ name: 'p', everyMs: 10_000, task }).ok, 'the name is free again');
  h.runUntil(210_000);
  t.equal(h.c.tasks.size, 3, 'a new schedule id: no task id collides');
  t.equal(h.apply({ type: 'schedule.pause', now: 1, name: 'nope' }).code, 'SCHEDULE_NOT_FOUND');
});

t.test('refusals: bad cron, unknown zone, never fires, name taken', async (t) => {
  const h = harness(ms('2026-01-01T00:00:00Z'));
  const bad = (spec: Create) => {
    const r = h.create(spec);
    return r.ok ? 'ok' : `${r.code}: ${r.message}`;
  };
  t.match(bad({ name: 'x', cron: '61 * * * *', task }), /^INVALID_SCHEDULE: cron: .*minute/);
  t.match(bad({ name: 'x', cron: '* * * * *', tz: 'Mars/Base', task }), /^INVALID_SCHEDULE: tz:/);
  t.match(bad({ name: 'x', cron: '0 0 30 2 *', task }), /^INVALID_SCHEDULE: cron: .*no occurrence/);
  t.match(bad({ name: 'x', task }), /^INVALID_SCHEDULE/);
  t.equal(bad({ name: 'x', cron: '* * * * *', task }), 'ok');
  t.match(bad({ name: 'x', everyMs: 5000, task }), /^SCHEDULE_EXISTS/);
  t.equal(h.c.schedules.size, 1);
  t.same(
    h.journal.map((c) => c.type),
    ['schedule.create'],
    'only the create that was taken is journaled',
  );
});
