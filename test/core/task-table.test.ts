import t from 'tap';
import { Core, type Command } from '../../server/core/index.js';
import type { TaskRecord } from '../../server/core/records.js';
import { TaskTable } from '../../server/core/task-table.js';

const task = (id: string, seq: number) => ({ id, seq, ord: 0 }) as TaskRecord;

t.test('a task table reads like one Map in creation order', async (t) => {
  const table = new TaskTable();
  const ids: string[] = [];
  for (let seq = 1; seq <= 5000; seq++) {
    const id = `hq05AT-${seq.toString(36)}`;
    ids.push(id);
    table.set(id, task(id, seq));
  }
  t.equal(table.size, 5000);
  t.same([...table.keys()], ids, 'oldest first across every shard');
  t.equal(table.get(ids[1234]!)?.seq, 1235);
  t.ok(table.has(ids[0]!));
  t.notOk(table.has('nope'));

  let deleted = 0;
  for (let i = 0; i < ids.length; i += 3) if (table.delete(ids[i]!)) deleted++;
  t.equal(deleted, Math.ceil(5000 / 3), 'each delete finds its task');
  t.notOk(table.delete(ids[0]!), 'a second delete finds nothing');
  t.equal(table.size, 5000 - Math.ceil(5000 / 3));
  t.same(
    [...table.values()].map((x) => x.id),
    ids.filter((_, i) => i % 3 !== 0),
    'order survives deletions',
  );

  const again = table.get(ids[1]!)!;
  table.set(ids[1]!, again);
  t.equal(table.size, 5000 - Math.ceil(5000 / 3), 'setting an existing id does not count twice');
  t.equal(table.get(ids[1]!), again);
});

t.test('an empty table iterates nothing', async (t) => {
  const table = new TaskTable();
  t.equal(table.size, 0);
  t.same([...table.values()], []);
});

t.test('retried and delayed tasks keep their place in creation order', async (t) => {
  const core = new Core({ heartbeatTimeoutMs: 1000, disconnectGraceMs: 500 });
  const apply = (cmd: Command) => {
    const r = core.apply(cmd);
    core.takeEffects();
    if (!r.ok) throw new Error(r.message);
  };
  const ids = Array.from({ length: 300 }, (_, i) => `hq05AT-${i.toString(36)}`);
  apply({
    type: 'task.submit',
    now: 1000,
    tasks: ids.map((id, i) => ({
      id,
      spec: { queue: 'q', ...(i % 7 === 0 ? { delayMs: 50 } : {}) },
    })),
  });
  // Promotion of the delayed tasks gives them new (higher) seqs.
  apply({ type: 'tick', now: 1100 });
  const promoted = core.tasks.get(ids[0]!)!;
  t.ok(promoted.seq > core.tasks.get(ids[299]!)!.seq, 'a promoted task is renumbered');
  t.same([...core.tasks.keys()], ids, 'listing order is still creation order');
});
