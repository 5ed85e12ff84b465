/**
 * snapshotWeight() decides whether the WAL takes the live state (a main-thread pause) for a
 * compaction (wal-store.ts, LIVE_COMPACTION_MAX_WEIGHT): it must grow with everything
 * snapshot() copies, at about what each costs (hub-core.ts: a record 1, a federation summary
 * 1/2, a fact-table slot 1/128), or a state far heavier than the limit is taken live.
 */
import t from 'tap';
import { MemoryStore } from '../../server/store/index.js';
import { CoreDriver } from '../store/store-contract.js';

t.test('federation hashes count toward the weight', async (t) => {
  const d = new CoreDriver(new MemoryStore());
  let k = 0;
  for (let a = 0; a < 50; a++) {
    const factHashes = Array.from({ length: 1000 }, () => (k++).toString(16).padStart(64, '0'));
    d.run({
      type: 'federation.push',
      now: d.now,
      federation: 'f',
      by: 'key:1',
      summary: {
        agentId: `a${a}`,
        timestamp: new Date(d.now).toISOString(),
        at: d.now,
        topicCounts: { t: 1 },
        factHashes,
      },
    });
  }
  const copied = (d.core.snapshot().federations ?? []).reduce((n, f) => n + f.hashes.length, 0);
  t.equal(copied, 50_000);
  const agents = d.core.snapshot().federations?.[0]?.agents.length ?? 0;
  t.equal(agents, 50);
  t.ok(
    d.core.snapshotWeight() >= copied / 128 + agents / 2,
    `weight ${d.core.snapshotWeight()} for a snapshot that copies ${copied} hashes of ${agents} summaries`,
  );
});

t.test('the bus dedup window counts toward the weight', async (t) => {
  const d = new CoreDriver(new MemoryStore());
  for (let i = 0; i < 5000; i++)
    d.run({
      type: 'bus.publish',
      now: d.now,
      message: { id: `m${i}`, topic: 'x.y', data: i, priority: 2, qos: 'at-most-once' },
      dedup: true,
    });
  const copied = d.core.snapshot().bus?.dedup.length ?? 0;
  t.equal(copied, 5000);
  t.ok(
    d.core.snapshotWeight() >= copied,
    `weight ${d.core.snapshotWeight()} for a snapshot that copies ${copied} dedup entries`,
  );
});

t.test('durable subscriptions count the ids they hold', async (t) => {
  const d = new CoreDriver(new MemoryStore());
  for (const name of ['a', 'b', 'c'])
    d.run({
      type: 'bus.subscribe',
      now: d.now,
      session: `s-${name}`,
      sid: 1,
      pattern: 'x.>',
      durable: name,
      maxInFlight: 10,
    });
  for (let i = 0; i < 1000; i++)
    d.run({
      type: 'bus.publish',
      now: d.now,
      message: { id: `m${i}`, topic: 'x.y', data: i, priority: 2, qos: 'at-least-once' },
      dedup: false,
    });
  const bus = d.core.snapshot().bus!;
  const ids = bus.consumers.reduce((n, c) => n + c.ids.length, 0);
  t.equal(ids, 3000, 'each of the three holds every message');
  t.ok(
    d.core.snapshotWeight() >= bus.messages.length + ids,
    `weight ${d.core.snapshotWeight()} for ${bus.messages.length} messages and ${ids} ids`,
  );
});

t.test('tasks count one each', async (t) => {
  const d = new CoreDriver(new MemoryStore());
  d.scripted(30);
  const copied = d.core.snapshot().tasks.length;
  t.ok(copied > 0);
  t.ok(d.core.snapshotWeight() >= copied, `weight ${d.core.snapshotWeight()} for ${copied} tasks`);
});
