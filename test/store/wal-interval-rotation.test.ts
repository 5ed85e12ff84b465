/**
 * fsync `interval` across a segment rotation: the closed segment's last writes are synced
 * before its descriptor is closed, and an interval fsync still running on it is not cut off
 * (a closed descriptor under it answers EBADF, which the store must treat as a failed fsync
 * and stop). Either would be a power cut's torn segment in the middle of the log, which
 * recovery refuses as corruption rather than drop as a torn tail.
 */
import t from 'tap';
import { WalStore } from '../../server/store/index.js';
import { nodeWalFileOps } from '../../server/store/wal-files.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CoreDriver, CORE_OPTIONS, coreState, durable, replayedState } from './store-contract.js';

t.test(
  'rotations while interval fsyncs are in flight: every closed segment synced, no failed fsync',
  async (t) => {
    const dir = tempDir(t, 'sb-wal-interval-rot-');
    const synced: number[] = [];
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
          setTimeout(
            () =>
              nodeWalFileOps.fdatasync(fd, (err) => {
                if (!err) synced.push(fd);
                cb(err);
              }),
            15,
          ),
      },
    });
    store.onFatal((err) => fatal.push(err));
    await store.open();
    const d = new CoreDriver(store);
    const fds = new Set<number>();
    for (let round = 0; round < 12; round++) {
      fds.add((store as unknown as { fd: number }).fd);
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
    t.ok(fds.size > 3, `${fds.size} segment descriptors seen`);
    for (const fd of fds) t.ok(synced.includes(fd), `segment descriptor ${fd} was synced`);
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
