import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import fc from 'fast-check';
import { Core, type Command } from '../../server/core/index.js';
import { StoreCorruptError, WalStore, type StoreOptions } from '../../server/store/index.js';
import { segmentPath } from '../../server/store/wal-files.js';
import { HEADER_BYTES } from '../../server/store/wal-record.js';
import { skipWithout } from '../helpers/requires.js';
import type { Teardown } from '../helpers/teardown.js';
import { tempDir } from '../helpers/temp-dir.js';
import { walOptions } from './wal-options.js';

const tmp = (t: Teardown): string => tempDir(t, 'sb-wal-');

async function writeRecords(dir: string, records: object[]): Promise<void> {
  const store = new WalStore(walOptions(dir));
  await store.open();
  let seq = 0;
  for (const r of records) seq = store.append(r);
  await new Promise<void>((resolve, reject) =>
    store.onDurable(seq, (err) => (err ? reject(err) : resolve())),
  );
  await store.close();
}

async function readAll(
  dir: string,
  extra: Partial<StoreOptions> = {},
): Promise<{ records: object[]; dropped: number }> {
  const store = new WalStore(walOptions(dir, extra));
  const rec = await store.open();
  const records = [...rec.records];
  await store.close();
  return { records, dropped: rec.stats.droppedTailBytes };
}

const sample = (n: number): object[] =>
  Array.from({ length: n }, (_, i) => ({
    type: 'task.submit',
    now: 1000 + i,
    tasks: [{ id: `t${i}`, spec: { queue: 'q', payload: { i, pad: 'x'.repeat(i % 7) } } }],
  }));

t.test('group commit: many appends in one turn share one fsync', async (t) => {
  const dir = tmp(t);
  const store = new WalStore(walOptions(dir));
  await store.open();
  let seq = 0;
  for (let i = 0; i < 5000; i++) seq = store.append({ type: 'gc', now: i });
  await new Promise<void>((r) => store.onDurable(seq, () => r()));
  t.equal(store.stats().fsyncs, 1, '5,000 records, 1 fsync');
  await store.close();
  t.equal((await readAll(dir)).records.length, 5000);
});

t.test(
  'every pack reuses the encoder buffer: a record is copied before the next is packed',
  async (t) => {
    // Records of growing and shrinking sizes (the buffer grows, then later records are shorter
    // than what it holds), a prepared record appended after another one was packed, and one
    // prepared but never appended: each record read back is the one appended.
    const dir = tmp(t);
    const store = new WalStore(walOptions(dir));
    await store.open();
    const size = (i: number): number => [10, 40_000, 3, 120_000, 0, 7_000][i % 6]!;
    const records: object[] = [];
    let seq = 0;
    for (let i = 0; i < 24; i++) {
      const r = { type: 'gc', now: i, pad: String.fromCharCode(97 + (i % 26)).repeat(size(i)) };
      const other = { type: 'gc', now: 1000 + i };
      if (i % 3 === 0) {
        store.prepare(r);
        store.append(other);
        records.push(other);
      } else if (i % 3 === 1) store.prepare({ type: 'gc', now: -i, pad: 'z'.repeat(size(i + 1)) });
      seq = store.append(r);
      records.push(r);
    }
    await new Promise<void>((resolve) => store.onDurable(seq, () => resolve()));
    await store.close();
    t.same((await readAll(dir)).records, records);
  },
);

t.test(
  'torn tail: truncating anywhere inside the last record keeps exactly the records before it',
  async (t) => {
    const dir = tmp(t);
    const records = sample(6);
    await writeRecords(dir, records);
    const file = segmentPath(dir, 1);
    const full = readFileSync(file);
    // Find where the last record starts by writing all but the last.
    const dir5 = tmp(t);
    await writeRecords(dir5, records.slice(0, 5));
    const lastStart = statSync(segmentPath(dir5, 1)).size;
    t.ok(lastStart > 0 && lastStart < full.length);
    for (let cut = lastStart; cut < full.length; cut++) {
      const copy = tmp(t);
      writeFileSync(segmentPath(copy, 1), full.subarray(0, cut));
      const { records: got, dropped } = await readAll(copy);
      if (got.length !== 5) t.fail(`cut at ${cut}: recovered ${got.length} records`);
      if (dropped !== cut - lastStart)
        t.fail(`cut at ${cut}: dropped ${dropped} bytes, expected ${cut - lastStart}`);
      t.equal(
        statSync(segmentPath(copy, 1)).size,
        lastStart,
        `cut at ${cut}: file truncated back to the last whole record`,
      );
      rmSync(copy, { recursive: true, force: true });
    }
    t.same((await readAll(dir)).records, records, 'the intact log reads back whole');
  },
);

t.test('torn tail at random offsets (property)', async (t) => {
  const dir = tmp(t);
  const records = sample(40);
  await writeRecords(dir, records);
  const full = readFileSync(segmentPath(dir, 1));
  // Record boundaries, to know how many whole records precede a cut.
  const ends: number[] = [];
  for (let off = 0; off < full.length;) {
    off += HEADER_BYTES + full.readUInt32LE(off + 4);
    ends.push(off);
  }
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: full.length }), async (cut) => {
      const copy = mkdtempSync(path.join(tmpdir(), 'sb-cut-'));
      try {
        writeFileSync(segmentPath(copy, 1), full.subarray(0, cut));
        const whole = ends.filter((e) => e <= cut).length;
        const { records: got } = await readAll(copy);
        return (
          got.length === whole && JSON.stringify(got) === JSON.stringify(records.slice(0, whole))
        );
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    }),
    { numRuns: 60 },
  );
  t.pass('every random cut keeps exactly the whole records before it');
});

t.test(
  'a flipped bit in an early record: refusal with instructions, and --repair keeps the valid prefix',
  async (t) => {
    const dir = tmp(t);
    const records = sample(10);
    await writeRecords(dir, records);
    const file = segmentPath(dir, 1);
    const buf = readFileSync(file);
    const second = HEADER_BYTES + buf.readUInt32LE(4);
    buf[second + HEADER_BYTES + 3]! ^= 0x10; // inside record #2's payload
    writeFileSync(file, buf);

    const err = await readAll(dir).catch((e: unknown) => e);
    t.type(err, StoreCorruptError);
    t.equal((err as StoreCorruptError).code, 'STORE_CORRUPT');
    t.equal((err as StoreCorruptError).offset, second);
    t.match((err as Error).message, /--repair/, 'says what to do');
    t.equal(readFileSync(file).length, buf.length, 'refusal changes nothing on disk');

    const repaired = await readAll(dir, { repair: true });
    t.same(repaired.records, records.slice(0, 1), 'valid prefix kept');
    const aside = readdirSync(dir).filter((f) => f.includes('.corrupt-'));
    t.equal(aside.length, 1, 'the rest moved aside');
    t.equal(statSync(path.join(dir, aside[0]!)).size, buf.length - second);
    t.same(
      (await readAll(dir)).records,
      records.slice(0, 1),
      'and the hub starts normally afterwards',
    );
  },
);

t.test('snapshot + WAL tail gives the same state as the WAL alone', async (t) => {
  // Drive a real core to produce a realistic journal: submits, leases, completions, failures.
  const core = new Core({ defaultBackoff: { type: 'fixed', delayMs: 5 } });
  const journal: object[] = [];
  const apply = (cmd: Command): void => {
    core.apply(cmd);
    journal.push(...core.takeEffects().journal);
  };
  apply({
    type: 'worker.register',
    now: 1,
    workerId: 'w1',
    kind: 'ws',
    queues: ['a', 'b'],
    capabilities: ['gpu'],
    concurrency: 3,
  });
  for (let i = 0; i < 60; i++) {
    apply({
      type: 'task.submit',
      now: 10 + i,
      tasks: [
        {
          id: `t${i}`,
          spec: {
            queue: i % 2 ? 'a' : 'b',
            payload: i,
            priority: i % 3 ? 'normal' : 'high',
            ...(i % 5 === 0 ? { requires: ['gpu'] } : {}),
          },
        },
      ],
    });
    const w = core.workers.get('w1')!;
    for (const id of [...w.running]) {
      const task = core.tasks.get(id)!;
      if (Number(task.payload) % 4 === 0)
        apply({
          type: 'task.fail',
          now: 11 + i,
          taskId: id,
          workerId: 'w1',
          attempt: task.attempt,
          error: { code: 'X', message: 'x' },
          retryable: true,
        });
      else
        apply({
          type: 'task.complete',
          now: 11 + i,
          taskId: id,
          workerId: 'w1',
          attempt: task.attempt,
          result: i,
        });
    }
    if (i === 30) apply({ type: 'task.cancel', now: 50, taskId: 't29' });
  }
  apply({ type: 'queue.pause', now: 100, queue: 'b' });
  t.ok(journal.length > 100, `journal has ${journal.length} records`);

  const replay = (snapshot: unknown, recs: object[]): Core => {
    const c = Core.restore(snapshot);
    for (const r of recs) c.apply(r as Command);
    c.takeEffects();
    return c;
  };
  const normalise = (c: Core): unknown => {
    const s = c.snapshot();
    return {
      ...s,
      tasks: [...s.tasks].sort((x, y) => (x.id < y.id ? -1 : 1)).map((x) => ({ ...x, gen: 0 })),
    };
  };
  const whole = replay(undefined, journal);
  for (const cut of [0, 1, 37, 90, journal.length - 1, journal.length]) {
    const head = replay(undefined, journal.slice(0, cut));
    const fromSnap = replay(head.snapshot(), journal.slice(cut));
    t.same(
      normalise(fromSnap),
      normalise(whole),
      `snapshot after ${cut} records + the rest = the whole log`,
    );
  }

  // And through the store: compaction in the worker thread, then recovery.
  const dir = tmp(t);
  const store = new WalStore(walOptions(dir));
  await store.open();
  let seq = 0;
  for (const r of journal.slice(0, 80)) seq = store.append(r);
  await new Promise<void>((r) => store.onDurable(seq, () => r()));
  await store.compactNow();
  for (const r of journal.slice(80)) seq = store.append(r);
  await new Promise<void>((r) => store.onDurable(seq, () => r()));
  await store.close();
  t.ok(
    readdirSync(dir).some((f) => f.startsWith('snapshot-')),
    'a snapshot was written',
  );
  const reopened = new WalStore(walOptions(dir));
  const rec = await reopened.open();
  const recovered = replay(rec.snapshot, [...rec.records]);
  await reopened.close();
  t.equal(rec.stats.walRecords, journal.length - 80, 'only the tail is replayed');
  t.same(normalise(recovered), normalise(whole), 'recovered state equals the live state');
});

t.test('two hubs on one data dir: the second refuses', async (t) => {
  const dir = tmp(t);
  const a = new WalStore(walOptions(dir));
  await a.open();
  const b = new WalStore(walOptions(dir));
  const err = await b.open().catch((e: unknown) => e);
  t.equal((err as { code?: string }).code, 'STORE_LOCKED');
  t.match((err as Error).message, new RegExp(`pid ${process.pid}`));
  await a.close();
  const c = new WalStore(walOptions(dir));
  await c.open();
  t.pass('after the first closes, the dir can be opened');
  await c.close();
  t.equal(statSync(dir).mode & 0o777, 0o700, 'data dir is owner-only');
});

t.test(
  'a full disk fails the batch clearly, damages nothing acknowledged, and recovers when space is freed',
  skipWithout('root'),
  async (t) => {
    const mnt = mkdtempSync(path.join(tmpdir(), 'sb-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    t.teardown(() => {
      execFileSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    });
    const dir = path.join(mnt, 'data');
    const store = new WalStore(walOptions(dir));
    await store.open();
    const durable = (seq: number) =>
      new Promise<Error | undefined>((r) => store.onDurable(seq, (err) => r(err)));
    let seq = 0;
    for (let i = 0; i < 10; i++) seq = store.append({ type: 'gc', now: i, pad: 'a'.repeat(100) });
    t.equal(await durable(seq), undefined, 'first records acknowledged');
    // Fill the disk.
    const filler = path.join(mnt, 'filler');
    try {
      writeFileSync(filler, Buffer.alloc(2 * 1024 * 1024));
    } catch {
      // ENOSPC: it filled what there was
    }
    const big = store.append({ type: 'gc', now: 99, pad: 'b'.repeat(200_000) });
    const err = await durable(big);
    t.equal(
      (err as { code?: string } | undefined)?.code,
      'STORE_NO_SPACE',
      'the write fails with a clear code',
    );
    t.match(String(err?.message), /disk full/);
    rmSync(filler);
    const after = store.append({ type: 'gc', now: 100 });
    t.equal(await durable(after), undefined, 'works again once space is freed');
    await store.close();
    const { records } = await readAll(dir);
    t.equal(
      records.length,
      11,
      'the 10 acknowledged records and the later one; the failed one is gone',
    );
  },
);

t.test(
  'replaying the journal reproduces the live state, including tasks leased in the same step they were submitted',
  async (t) => {
    const live = new Core({ defaultBackoff: { type: 'fixed', delayMs: 1 } });
    const journal: object[] = [];
    const apply = (cmd: Command): void => {
      live.apply(cmd);
      journal.push(...live.takeEffects().journal);
    };
    apply({
      type: 'worker.register',
      now: 1,
      workerId: 'w',
      kind: 'ws',
      queues: ['q'],
      capabilities: [],
      concurrency: 2,
    });
    apply({
      type: 'task.submit',
      now: 2,
      tasks: [
        { id: 'a', spec: { queue: 'q' } },
        { id: 'b', spec: { queue: 'q' } },
        { id: 'c', spec: { queue: 'q' } },
      ],
    });
    apply({ type: 'task.complete', now: 3, taskId: 'a', workerId: 'w', attempt: 1, result: 'A' });
    apply({
      type: 'task.fail',
      now: 4,
      taskId: 'b',
      workerId: 'w',
      attempt: 1,
      error: { code: 'E', message: 'e' },
      retryable: false,
    });
    const replayed = Core.restore(undefined);
    for (const r of journal)
      t.ok(replayed.apply(r as Command).ok, `replays ${(r as { type: string }).type}`);
    for (const id of ['a', 'b', 'c']) {
      t.equal(
        replayed.tasks.get(id)!.state,
        live.tasks.get(id)!.state,
        `task ${id}: ${live.tasks.get(id)!.state}`,
      );
      t.equal(replayed.tasks.get(id)!.attempt, live.tasks.get(id)!.attempt);
    }
  },
);
