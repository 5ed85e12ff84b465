/**
 * fsync `interval` across a segment rotation: the closed segment's last writes are synced
 * before its descriptor is closed, and an interval fsync still running on it is not cut off
 * (a closed descriptor under it answers EBADF, which the store must treat as a failed fsync
 * and stop). Either would be a power cut's torn segment in the middle of the log, which
 * recovery refuses as corruption rather than drop as a torn tail.
 */
import { readlinkSync } from 'node:fs';
import t from 'tap';
import { WalStore } from '../../server/store/index.js';
import { listDataFiles, nodeWalFileOps, segmentPath } from '../../server/store/wal-files.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CoreDriver, CORE_OPTIONS, coreState, durable, replayedState } from './store-contract.js';

t.test(
  'rotations while interval fsyncs are in flight: every closed segment synced, no failed fsync',
  async (t) => {
    const dir = tempDir(t, 'sb-wal-interval-rot-');
    // The files synced, by path: descriptor numbers are reused once a segment is closed.
    const synced = new Set<string>();
    const fatal: Error[] = [];
    const store = new WalStore({
      mode: 'wal',
      dataDir: dir,
      fsync: 'interval',
      fsyncIntervalMs: 2,
      segmentBytes: 2048,
      compactAfterBytes: 2 ** 40,
      replayOptions: CORE_OPTIONS,
      fileOps: {
        // A slow disk: each fdatasync starts 15 ms late, so rotations happen under it.
        fdatasync: (fd, cb) =>
          setTimeout(() => {
            let file: string | undefined;
            try {
              file = readlinkSync(`/proc/self/fd/${fd}`);
            } catch {
              // closed under the fsync: the real call answers EBADF
            }
            nodeWalFileOps.fdatasync(fd, (err) => {
              if (!err && file) synced.add(file);
              cb(err);
            });
          }, 15),
      },
    });
    store.onFatal((err) => fatal.push(err));
    await store.open();
    const d = new CoreDriver(store);
    for (let round = 0; round < 12; round++) {
      d.scripted(6);
      t.equal(await durable(store, d.seq), undefined);
      await new Promise((r) => setTimeout(r, 4));
    }
    const segments = store.stats().segments;
    t.ok(segments > 3, `the log rotated (${segments} segments)`);
    const live = coreState(d.core);
    await store.close();
    t.same(
      fatal.map((e) => e.message),
      [],
      'no fsync failed (none ran on a closed descriptor)',
    );
    const closed = listDataFiles(dir).segments.slice(0, -1);
    t.ok(closed.length > 2, `${closed.length} segments closed`);
    for (const s of closed) {
      const file = segmentPath(dir, s);
      t.ok(synced.has(file), `${file.slice(dir.length + 1)} was synced`);
    }
    const again = new WalStore({
      mode: 'wal',
      dataDir: dir,
      fsync: 'interval',
      fsyncIntervalMs: 100,
    });
    const rec = await again.open();
    t.equal(replayedState(rec.snapshot, rec.records), live, 'the log recovers the live state');
    await again.close();
  },
);
