/**
 * The WAL's compaction from the live state (wal-store.ts): where the log is cut, what a
 * refused write or a close does to a compaction under way, and when it replays instead.
 * The store contract (wal-store*.contract.test.ts) holds both ways to the same guarantees
 * under random histories and crashes; this file looks at the cut itself.
 */
import { readdirSync } from 'node:fs';
import t from 'tap';
import { WalStore, type StoreLogger, type StoreOptions } from '../../server/store/index.js';
import { nodeWalFileOps } from '../../server/store/wal-files.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  canonical,
  CoreDriver,
  CORE_OPTIONS,
  coreState,
  durable,
  replayedState,
} from './store-contract.js';

interface Logged {
  msg: string;
  obj: Record<string, unknown>;
}

function logger(into: Logged[]): StoreLogger {
  const put = (obj: object, msg?: string): void => {
    into.push({ msg: msg ?? '', obj: obj as Record<string, unknown> });
  };
  return { info: put, warn: put, error: put };
}

function store(dir: string, logs: Logged[], extra: Partial<StoreOptions> = {}): WalStore {
  return new WalStore({
    mode: 'wal',
    dataDir: dir,
    fsync: 'always',
    fsyncIntervalMs: 100,
    segmentBytes: 4096,
    replayOptions: CORE_OPTIONS,
    logger: logger(logs),
    ...extra,
  });
}

const compactions = (logs: Logged[]): Logged[] =>
  logs.filter((l) => l.msg === 'compacted the write-ahead log into a snapshot');

/** Reopen `dir` and check: snapshot + tail = `live`, the tail is the journal's end, the snapshot its head. */
async function reopened(
  t: Tap.Test,
  dir: string,
  journal: object[],
  live: string,
): Promise<{ snapshot: boolean; tail: number }> {
  const again = store(dir, []);
  const rec = await again.open();
  const records = [...rec.records];
  t.equal(replayedState(rec.snapshot, records), live, 'snapshot + tail = the live state');
  t.equal(
    canonical(records),
    canonical(journal.slice(journal.length - records.length)),
    'the tail is the last records appended, in order',
  );
  t.equal(
    replayedState(rec.snapshot, []),
    replayedState(undefined, journal.slice(0, journal.length - records.length)),
    'the snapshot is exactly the records it replaced',
  );
  await again.close();
  return { snapshot: rec.stats.snapshot, tail: records.length };
}

t.test(
  'records not yet written when a compaction starts are in the state it takes, and the log is cut after them',
  async (t) => {
    const dir = tempDir(t, 'sb-wal-live-');
    const logs: Logged[] = [];
    const s = store(dir, logs);
    await s.open();
    const d = new CoreDriver(s);
    d.scripted(20);
    t.equal(await durable(s, d.seq), undefined);
    // Appended in this turn, so still in the batch: the state has them, the log not yet.
    d.scripted(10);
    const atStart = d.seq;
    const compaction = s.compactNow();
    // And more while it runs: after the cut, so in the log, not in the snapshot.
    d.scripted(5);
    await compaction;
    d.scripted(3);
    t.equal(await durable(s, d.seq), undefined);
    const done = compactions(logs);
    t.equal(done.length, 1, 'one compaction');
    t.equal(done[0]?.obj.from, 'state', 'from the live state');
    t.equal(s.stats().compactions, 1);
    const live = coreState(d.core);
    await s.close();
    const { snapshot, tail } = await reopened(t, dir, d.journal, live);
    t.ok(snapshot, 'recovery starts from the snapshot');
    t.ok(tail > 0 && tail <= d.seq - atStart, `replays only what came after the cut (${tail})`);
  },
);

t.test('a compaction of an idle log takes the state at once', async (t) => {
  const dir = tempDir(t, 'sb-wal-live-');
  const logs: Logged[] = [];
  const s = store(dir, logs);
  await s.open();
  const d = new CoreDriver(s);
  d.scripted(30);
  t.equal(await durable(s, d.seq), undefined);
  await s.compactNow();
  t.equal(compactions(logs)[0]?.obj.from, 'state');
  const live = coreState(d.core);
  await s.close();
  const { snapshot, tail } = await reopened(t, dir, d.journal, live);
  t.ok(snapshot);
  t.equal(tail, 0, 'nothing to replay: the snapshot holds everything');
});

t.test(
  'a write refused for lack of space gives up the compaction waiting on it; later ones replay the log',
  async (t) => {
    const dir = tempDir(t, 'sb-wal-live-');
    const logs: Logged[] = [];
    let failNext = false;
    const s = store(dir, logs, {
      fileOps: {
        write: (fd, buffer, offset, length, position, cb) => {
          if (!failNext) return nodeWalFileOps.write(fd, buffer, offset, length, position, cb);
          failNext = false;
          const err: NodeJS.ErrnoException = new Error('ENOSPC: no space left on device');
          err.code = 'ENOSPC';
          setImmediate(() => cb(err, 0));
        },
      },
    });
    await s.open();
    const d = new CoreDriver(s);
    d.scripted(20);
    t.equal(await durable(s, d.seq), undefined);
    const before = d.seq;
    // The batch that carries the cut is refused: its records are not in the log, so a state
    // holding them must not become the snapshot.
    d.submit();
    failNext = true;
    const refused = durable(s, d.seq);
    await s.compactNow();
    const err = await refused;
    t.match(err?.message, /disk full/, 'the refused batch reports the full disk');
    t.equal(s.stats().compactions, 0, 'no compaction');
    t.same(compactions(logs), [], 'and none logged');
    t.notOk(
      readdirSync(dir).some((f) => f.startsWith('snapshot-')),
      'no snapshot file was written',
    );
    // Taken back, as the hub does with a submit it could not persist (Hub.rollbackSubmit):
    // the retraction is logged, the submit never was.
    const lostUpTo = d.journal.length;
    const submit = d.journal[before] as { type: string; tasks: { id: string }[] };
    t.equal(submit.type, 'task.submit');
    d.run({ type: 'task.retract', now: d.now, taskIds: [submit.tasks[0]!.id] });
    d.scripted(5);
    t.equal(await durable(s, d.seq), undefined);
    // The live core still differs from the log (it gave the refused submit a seq): from now
    // on the log itself is folded.
    await s.compactNow();
    t.equal(s.stats().compactions, 1, 'the next compaction happened');
    t.equal(compactions(logs)[0]?.obj.from, 'replay', 'by replaying the log');
    await s.close();
    const logged = d.journal.filter((_, i) => i < before || i >= lostUpTo);
    const after = store(dir, []);
    const rec = await after.open();
    const recovered = replayedState(rec.snapshot, rec.records);
    t.ok(rec.stats.snapshot, 'recovery starts from the snapshot');
    t.equal(recovered, replayedState(undefined, logged), 'what the log holds, and nothing else');
    t.notOk(recovered.includes(`"id":"${submit.tasks[0]!.id}"`), 'the refused task is nowhere');
    await after.close();
  },
);

t.test('close() gives up a compaction still waiting for its batch; nothing is lost', async (t) => {
  const dir = tempDir(t, 'sb-wal-live-');
  const logs: Logged[] = [];
  const s = store(dir, logs);
  await s.open();
  const d = new CoreDriver(s);
  d.scripted(20);
  const compaction = s.compactNow();
  await s.close();
  await compaction;
  t.same(compactions(logs), [], 'given up');
  const live = coreState(d.core);
  const { snapshot } = await reopened(t, dir, d.journal, live);
  t.notOk(snapshot, 'the log is whole, without a snapshot');
});

t.test('a state heavier than the limit is compacted by replaying the log', async (t) => {
  const dir = tempDir(t, 'sb-wal-live-');
  const logs: Logged[] = [];
  const s = store(dir, logs, { liveCompactionMaxWeight: 3 });
  await s.open();
  const d = new CoreDriver(s);
  d.scripted(20);
  t.ok(d.core.snapshotWeight() > 3, `weight ${d.core.snapshotWeight()}`);
  t.equal(await durable(s, d.seq), undefined);
  await s.compactNow();
  t.equal(compactions(logs)[0]?.obj.from, 'replay', 'replayed in the compaction thread');
  const live = coreState(d.core);
  await s.close();
  await reopened(t, dir, d.journal, live);
});
