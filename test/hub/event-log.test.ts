import t from 'tap';
import { Core, type Command, type HubEvent } from '../../server/core/index.js';
import { EventLog, type StreamEvent } from '../../server/hub/event-log.js';

/** Drive a real core and feed its events to an event log, as the hub does. */
function run(log: EventLog, commands: Command[]): HubEvent[] {
  const core = new Core({ heartbeatTimeoutMs: 1000, disconnectGraceMs: 500 });
  const all: HubEvent[] = [];
  for (const cmd of commands) {
    const r = core.apply(cmd);
    if (!r.ok) throw new Error(r.message);
    for (const e of core.takeEffects().events) {
      all.push(e);
      log.publishHubEvent(e, cmd.now);
    }
  }
  return all;
}

const worker: Command = {
  type: 'worker.register',
  now: 1,
  workerId: 'w1',
  kind: 'ws',
  session: 's1',
  queues: ['mail'],
  capabilities: [],
  concurrency: 1,
};
const submit = (id: string, now: number): Command => ({
  type: 'task.submit',
  now,
  tasks: [{ id, spec: { queue: 'mail', maxAttempts: 2 } }],
});

t.test('lifecycle events read back the same live and after a resume', async (t) => {
  const log = new EventLog(100);
  const live: StreamEvent[] = [];
  log.subscribe((e) => live.push(structuredClone(e)));
  run(log, [
    worker,
    submit('a', 2),
    { type: 'task.complete', now: 3, taskId: 'a', workerId: 'w1', attempt: 1, result: 1 },
    submit('b', 4),
    {
      type: 'task.fail',
      now: 5,
      taskId: 'b',
      workerId: 'w1',
      attempt: 1,
      error: { code: 'E_SMTP', message: 'smtp timeout' },
      retryable: true,
    },
  ]);
  const resumed = log.since(0);
  t.same(resumed, live, 'a resume replays exactly what live subscribers saw');
  const byType = (type: string) => resumed.filter((e) => e.type === type);
  t.same(byType('task.submitted')[0], {
    id: byType('task.submitted')[0]!.id,
    type: 'task.submitted',
    at: 2,
    queue: 'mail',
    taskId: 'a',
    attempt: 1,
  });
  t.match(byType('task.assigned')[0], { taskId: 'a', workerId: 'w1', attempt: 1, at: 2 });
  t.match(byType('task.completed')[0], { taskId: 'a', workerId: 'w1', at: 3 });
  t.match(byType('task.failed')[0], {
    taskId: 'b',
    workerId: 'w1',
    error: { code: 'E_SMTP', message: 'smtp timeout' },
  });
  t.same(
    resumed.map((e) => e.id),
    resumed.map((_, i) => resumed[0]!.id + i),
    'ids are consecutive',
  );
  t.equal(log.lastId, resumed.at(-1)!.id);
});

t.test('the ring keeps the newest events and resumes inside them', async (t) => {
  const log = new EventLog(8);
  const commands: Command[] = [worker];
  for (let i = 0; i < 10; i++) {
    commands.push(submit(`t${i}`, 10 + i));
    commands.push({
      type: 'task.complete',
      now: 10 + i,
      taskId: `t${i}`,
      workerId: 'w1',
      attempt: 1,
      result: i,
    });
  }
  run(log, commands);
  const kept = log.since(0);
  t.equal(kept.length, 8, 'only as many as the ring holds');
  t.equal(kept.at(-1)!.id, log.lastId);
  t.same(
    kept.slice(-3).map((e) => [e.type, e.taskId]),
    [
      ['task.submitted', 't9'],
      ['task.assigned', 't9'],
      ['task.completed', 't9'],
    ],
  );
  const after = kept[4]!.id;
  t.same(
    log.since(after).map((e) => e.id),
    kept.slice(5).map((e) => e.id),
    'resume after an id inside the ring',
  );
  t.same(log.since(log.lastId), [], 'nothing after the newest');
});

t.test('a resume says when it cannot continue from the id it was given', async (t) => {
  const log = new EventLog(4, 5_000);
  t.equal(log.gapAfter(5_000), undefined, 'a fresh log continues from its base');
  for (let i = 0; i < 6; i++) log.publish({ id: 0, type: 'queue.paused', at: i, queue: 'q' });
  t.equal(log.firstId, 5_003, 'ids 5003..5006 are held');
  t.equal(log.gapAfter(5_002), undefined, 'just before the oldest held: nothing was lost');
  t.equal(log.gapAfter(5_001), 'too-old', 'an event fell off the ring');
  t.equal(log.gapAfter(4_999), 'restarted', 'an id from an earlier process');
  t.equal(log.gapAfter(5_007), 'unknown', 'an id never given out');
  t.equal(log.gapAfter(log.lastId), undefined);
});
