/**
 * A failing fsync, injected through the store's file layer (the `fileOps` seam; for a real
 * hub process, the test-only SWITCHBOARD_TEST_FAIL_FSYNC_AFTER setting). Everything else is
 * real: the bytes go to a real file, and recovery reads them back.
 */
import t from 'tap';
import { mintToken } from '../../server/auth/index.js';
import { WalStore } from '../../server/store/index.js';
import { failingFsyncOps } from '../../server/store/test-faults.js';
import { nodeWalFileOps, segmentPath } from '../../server/store/wal-files.js';
import { hubProcess } from '../helpers/hub-process.js';
import type { Teardown } from '../helpers/teardown.js';
import { tempDir } from '../helpers/temp-dir.js';
import { walOptions } from './wal-options.js';

const tmp = (t: Teardown): string => tempDir(t, 'sb-fsync-');

const durable = (store: WalStore, seq: number): Promise<Error | undefined> =>
  new Promise((r) => store.onDurable(seq, (err) => r(err)));

t.test(
  'a failed fsync is fatal: the batch fails, onFatal fires once, nothing more is written',
  async (t) => {
    const dir = tmp(t);
    const store = new WalStore(walOptions(dir, { fileOps: failingFsyncOps(2) }));
    await store.open();
    const fatals: Error[] = [];
    store.onFatal((err) => fatals.push(err));
    t.equal(
      await durable(store, store.append({ type: 'gc', now: 1 })),
      undefined,
      'first fsync ok',
    );
    t.equal(
      await durable(store, store.append({ type: 'gc', now: 2 })),
      undefined,
      'second fsync ok',
    );
    const err = await durable(store, store.append({ type: 'gc', now: 3 }));
    t.equal((err as { code?: string } | undefined)?.code, 'STORE_FSYNC_FAILED');
    t.match(err?.message, segmentPath(dir, 1), 'the message names the segment file');
    t.match(err?.message, /EIO/, 'and the error');
    t.equal(fatals.length, 1, 'onFatal fired');
    t.equal(fatals[0], err);

    // After the fatal error an append neither throws nor is written: its waiter gets the error.
    let seq = 0;
    t.doesNotThrow(() => (seq = store.append({ type: 'gc', now: 4 })));
    t.equal(await durable(store, seq), err, 'a later append fails with the same error');
    t.equal(fatals.length, 1, 'onFatal fires once');
    await store.close();

    const again = new WalStore(walOptions(dir));
    const rec = await again.open();
    const nows = [...rec.records].map((r) => (r as { now: number }).now);
    await again.close();
    t.same(nows.slice(0, 2), [1, 2], 'both acknowledged records recovered');
    t.notOk(nows.includes(4), 'nothing appended after the failure reached the log');
  },
);

t.test('a write error other than a full disk (EIO) is fatal too, naming the file', async (t) => {
  const dir = tmp(t);
  let failWrites = false;
  const store = new WalStore(
    walOptions(dir, {
      fileOps: {
        write(fd, buf, off, len, pos, cb) {
          if (!failWrites) return nodeWalFileOps.write(fd, buf, off, len, pos, cb);
          const e: NodeJS.ErrnoException = new Error('EIO: i/o error, write');
          e.code = 'EIO';
          setImmediate(() => cb(e, 0));
        },
      },
    }),
  );
  await store.open();
  const fatals: Error[] = [];
  store.onFatal((e) => fatals.push(e));
  t.equal(await durable(store, store.append({ type: 'gc', now: 1 })), undefined);
  failWrites = true;
  const err = await durable(store, store.append({ type: 'gc', now: 2 }));
  t.equal((err as { code?: string } | undefined)?.code, 'STORE_IO');
  t.match(err?.message, segmentPath(dir, 1));
  t.equal(fatals.length, 1, 'fatal: unlike ENOSPC, an EIO on write is not retried');
  await store.close();
});

t.test(
  'a real hub whose fsync fails stops at once: fatal log line naming the file and the error, exit 70; the next start recovers every acknowledged task',
  { timeout: 60_000 },
  async (t) => {
    const dir = tmp(t);
    const SECRET = 'fsync-failure-test-secret-fsync-fail-01';
    const h = await hubProcess(t, {
      preset: 'production',
      dataDir: dir,
      env: { SWITCHBOARD_AUTH_SECRET: SECRET },
    });
    const hub = await h.start({ SWITCHBOARD_TEST_FAIL_FSYNC_AFTER: '5' });
    t.match(
      hub.output(),
      /TEST FAULT INJECTION IS ON/,
      'the hub says loudly that faults are injected',
    );
    const admin = await mintToken(SECRET, { role: 'admin' });
    const api = `${h.httpUrl}/api/v1`;
    const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };

    const acked: string[] = [];
    let refused = 0;
    for (let i = 0; i < 20 && refused === 0; i++) {
      try {
        const res = await fetch(`${api}/tasks`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ queue: 'fs', payload: { i } }),
        });
        if (res.status === 201) acked.push(((await res.json()) as { id: string }).id);
        else refused++;
      } catch {
        refused++; // the hub exited before it could answer: nothing was promised
      }
    }
    t.ok(acked.length >= 2, `${acked.length} submits acknowledged before the fsync failed`);
    t.equal(refused, 1, 'the submit whose fsync failed was not acknowledged');

    const code = await Promise.race([
      hub.exited,
      new Promise<string>((r) => setTimeout(() => r('still running'), 10_000)),
    ]);
    t.equal(code, 70, 'the hub stopped by itself with exit code 70 (ExitCode.STORE_FAILED)');
    const fatal = hub
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; code?: string })
      .find((l) => l.level === 60);
    t.ok(fatal, 'one line logged at fatal');
    t.equal(fatal?.code, 'STORE_FSYNC_FAILED');
    t.match(fatal?.msg, segmentPath(dir, 1), 'naming the file');
    t.match(fatal?.msg, /EIO/, 'and the error');
    t.notMatch(hub.output(), /\n\s+at .+\(.+:\d+:\d+\)/, 'no stack trace');

    // The next start (no fault) recovers everything acknowledged before it.
    const next = await h.start();
    for (const id of acked) {
      const res = await fetch(`${api}/tasks/${id}`, { headers });
      t.equal(res.status, 200, `acknowledged task ${id} recovered`);
      t.equal(((await res.json()) as { state: string }).state, 'queued');
    }
    const res = await fetch(`${api}/tasks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ queue: 'fs', payload: { after: true } }),
    });
    t.equal(res.status, 201, 'and accepts new work');
    next.proc.kill('SIGTERM');
    t.equal(await next.exited, 0);
  },
);
