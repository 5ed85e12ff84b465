/**
 * A full disk, for real: a 2 MiB tmpfs holds the data dir of a real hub process (production
 * preset: WAL, fsync before ack), filled by submits with 100 KB payloads.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Worker } from '../../index.js';
import { mintToken } from '../../server/auth/index.js';
import { SnapshotStore, WalStore } from '../../server/store/index.js';
import { readSnapshotFile, snapshotName } from '../../server/store/snapshot-file.js';
import { hubProcess, type HubChild } from '../helpers/hub-process.js';
import { RawClient } from '../helpers/raw-client.js';
import { mountTmpfs, requireTmpfs } from '../helpers/tmpfs.js';
import { walOptions } from './wal-options.js';

const SECRET = 'full-disk-test-secret-full-disk-test-01';
const PAD = 100_000;

interface Submitted {
  status: number;
  body: { id?: string; error?: { code: string; message: string } };
}

if (requireTmpfs('test/store/full-disk.test.ts')) {
  t.test(
    'a full disk: submits answer STORE_FULL (507 / error frame), nothing acknowledged is damaged, and the hub serves again once space is freed',
    { timeout: 120_000 },
    async (t) => {
      const mnt = mountTmpfs(t, '2m');
      const dataDir = path.join(mnt, 'data');
      // Leave the log about 1 MiB: room for some 10 tasks of 100 KB.
      const filler = path.join(mnt, 'filler');
      writeFileSync(filler, Buffer.alloc(1024 * 1024, 1));

      const h = await hubProcess(t, {
        preset: 'production',
        dataDir,
        env: { SWITCHBOARD_AUTH_SECRET: SECRET },
      });
      let hub: HubChild = await h.start();
      const admin = await mintToken(SECRET, { role: 'admin' });
      const api = `${h.httpUrl}/api/v1`;
      const auth = { authorization: `Bearer ${admin}` };
      let n = 0;
      const submit = async (pad = PAD): Promise<Submitted> => {
        const res = await fetch(`${api}/tasks`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ queue: 'disk', payload: { i: n++, pad: 'x'.repeat(pad) } }),
        });
        return { status: res.status, body: (await res.json()) as Submitted['body'] };
      };
      const get = async (p: string): Promise<{ status: number; body: Record<string, unknown> }> => {
        const res = await fetch(`${api}${p}`, { headers: auth });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };

      // Fill the disk through the REST API.
      const acked = new Map<string, number>(); // id -> payload.i
      let refused: Submitted | undefined;
      for (let k = 0; k < 40 && !refused; k++) {
        const i = n;
        const r = await submit();
        if (r.status === 201) acked.set(r.body.id!, i);
        else refused = r;
      }
      t.ok(
        acked.size >= 3,
        `${acked.size} tasks of 100 KB were acknowledged before the disk filled`,
      );
      t.ok(refused, 'a submit was refused once the disk was full');
      t.equal(refused!.status, 507, 'HTTP 507 Insufficient Storage');
      t.equal(refused!.body.error?.code, 'STORE_FULL');
      t.match(refused!.body.error?.message, /disk full/, 'the message says what is wrong');
      t.notOk(refused!.body.error?.message.includes(mnt), 'and shows the client no server paths');
      for (let k = 0; k < 3; k++) {
        const again = await submit();
        t.equal(again.body.error?.code, 'STORE_FULL', 'still STORE_FULL while the disk is full');
      }

      // The WebSocket side gets an error frame for the same request.
      const ws = await RawClient.open(h.wsUrl, admin);
      t.teardown(() => ws.ws.close());
      ws.send({ t: 'submit', id: 7, task: { queue: 'disk', payload: { pad: 'w'.repeat(PAD) } } });
      const frame = await ws.next((f) => f.id === 7);
      t.equal(frame.t, 'error');
      t.equal(frame.code, 'STORE_FULL', 'WebSocket: error frame STORE_FULL');

      // Refused submits left nothing runnable behind.
      const queues = await get('/queues');
      const q = (queues.body.queues as { name: string; queued: number }[]).find(
        (x) => x.name === 'disk',
      );
      t.equal(q?.queued, acked.size, 'only the acknowledged tasks are queued');
      const listed = await get('/tasks?limit=1000');
      t.same(
        new Set((listed.body.tasks as { id: string }[]).map((x) => x.id)),
        new Set(acked.keys()),
        'refused submits leave no record at all, not even a cancelled one',
      );

      // Free space: the very next submits succeed, without a restart.
      rmSync(filler);
      const back = await submit();
      t.equal(back.status, 201, 'REST submit accepted once space is freed');
      acked.set(back.body.id!, n - 1);
      ws.send({ t: 'submit', id: 8, task: { queue: 'disk', payload: { i: -1, pad: 'w' } } });
      const ok = await ws.next((f) => f.id === 8);
      t.equal(ok.t, 'submitted', 'WebSocket submit accepted once space is freed');
      acked.set(ok.taskId as string, -1);
      t.match(hub.output(), /disk full/, 'the hub logged the full disk');
      t.match(hub.output(), /space is available again/, 'and that it recovered');
      const fullLines = hub.output().match(/"disk full:/g) ?? [];
      t.ok(
        fullLines.length <= 2,
        `the full disk is logged once, not per refused write (${fullLines.length})`,
      );

      // Stop, and read the log as recovery will: whole records, no torn tail in it.
      ws.ws.close();
      hub.proc.kill('SIGTERM');
      t.equal(await hub.exited, 0, 'clean stop');
      const store = new WalStore(walOptions(dataDir));
      const rec = await store.open();
      const records = [...rec.records] as { type: string; tasks?: { id: string }[] }[];
      await store.close();
      t.equal(rec.stats.droppedTailBytes, 0, 'no torn bytes anywhere in the log');
      const logged = records.flatMap((r) =>
        r.type === 'task.submit' ? r.tasks!.map((x) => x.id) : [],
      );
      t.same(
        new Set(logged),
        new Set(acked.keys()),
        'the log holds exactly the acknowledged submits',
      );

      // Restart: every acknowledged task is there with its payload intact.
      hub = await h.start();
      for (const [id, i] of acked) {
        const task = await get(`/tasks/${id}`);
        t.equal(task.status, 200, `task ${id} survived`);
        const payload = task.body.payload as { i: number; pad: string };
        if (payload.i !== i || (i >= 0 && payload.pad.length !== PAD))
          t.fail(`task ${id} payload damaged`);
      }

      // A worker runs exactly the acknowledged tasks: none of the refused ones.
      const worker = await mintToken(SECRET, { role: 'worker' });
      const ran = new Set<string>();
      let done!: () => void;
      const all = new Promise<void>((r) => (done = r));
      const w = new Worker(
        { url: h.wsUrl, token: worker, queues: ['disk'], concurrency: 4 },
        async (task) => {
          ran.add(task.id);
          if (ran.size === acked.size) done();
          return null;
        },
      );
      w.on('error', () => undefined);
      await w.start();
      await Promise.race([all, new Promise((r) => setTimeout(r, 10_000))]);
      await new Promise((r) => setTimeout(r, 300)); // a stray extra task would show up here
      await w.close({ timeoutMs: 1000 });
      t.same(ran, new Set(acked.keys()), 'the worker ran every acknowledged task and nothing else');
    },
  );

  t.test(
    'snapshot mode on a full disk: the snapshot is skipped with a log line, the previous one is kept, and the next one works once space is freed',
    async (t) => {
      const mnt = mountTmpfs(t, '1m');
      const dataDir = path.join(mnt, 'data');
      const lines: string[] = [];
      const logger = {
        info: () => undefined,
        warn: () => undefined,
        error: (_o: object, msg?: string) => lines.push(msg ?? ''),
      };
      const opts = {
        mode: 'snapshot',
        dataDir,
        fsync: 'always',
        fsyncIntervalMs: 100,
        logger,
      } as const;
      let state: object = { tasks: ['small'] };
      const store = new SnapshotStore(opts);
      store.setStateProvider(() => state);
      await store.open();
      store.snapshotNow();
      const filler = path.join(mnt, 'filler');
      try {
        writeFileSync(filler, Buffer.alloc(2 * 1024 * 1024));
      } catch {
        // ENOSPC: it took what there was
      }
      state = { tasks: ['x'.repeat(300_000)] };
      t.doesNotThrow(() => store.snapshotNow(), 'a full disk does not throw out of the timer');
      t.match(lines.join('\n'), /disk full: snapshot not written/);
      t.same(
        readdirSync(dataDir).filter((f) => f.endsWith('.tmp')),
        [],
        'no half-written temp file holds on to the space',
      );
      t.same(
        readSnapshotFile(path.join(dataDir, snapshotName(1))).state,
        { tasks: ['small'] },
        'the previous snapshot is still there, intact',
      );
      rmSync(filler);
      await store.close(); // writes the final snapshot, now that there is room
      const again = new SnapshotStore(opts);
      const rec = await again.open();
      await again.close();
      t.same(
        rec.snapshot,
        state,
        'the snapshot written after space was freed is the one recovered',
      );
    },
  );
}
