import { closeSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { WalStore } from '../../server/store/index.js';
import { listDataFiles, segmentName, segmentPath } from '../../server/store/wal-files.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CORE_OPTIONS, copyAsCrashed, type StoreFactory } from './store-contract.js';

/**
 * The store contract's harness for the write-ahead log, in either fsync mode. Small
 * segments, so rotation happens within the contract's histories. Compaction takes the state
 * CoreDriver hands over (the contract's states are small), or with `replay` always replays
 * the log in the compaction thread, as it does for a large state.
 */
export function wal(
  fsync: 'always' | 'interval',
  { replay = false }: { replay?: boolean } = {},
): StoreFactory<WalStore> {
  return (t) => {
    let dir = tempDir(t, `sb-contract-wal-${fsync}-`);
    // Per store: the newest segment and its size when the last fsync returned. In
    // `always` mode no write is in flight then, so those bytes are exactly the synced ones.
    const synced = new WeakMap<WalStore, { segment: number; size: number }>();
    return {
      capabilities: {
        durable: fsync === 'always' ? 'after-fsync' : 'after-write',
        journal: true,
        stateSnapshots: false,
        takesState: true,
        compaction: true,
        prepare: true,
        exclusive: true,
        faults: true,
      },
      make() {
        const at = dir;
        const store = new WalStore({
          mode: 'wal',
          dataDir: at,
          fsync,
          fsyncIntervalMs: 5,
          segmentBytes: 8192,
          replayOptions: CORE_OPTIONS,
          ...(replay ? { liveCompactionMaxWeight: -1 } : {}),
        });
        // Registered after the data dir's removal, so run before it (tap runs teardowns last
        // first): a store a failed run left open must not fsync, list or compact a dir that is
        // gone (ENOENT scandir from a late fsync callback or compaction). close() waits for a
        // compaction in flight, also when the store was closed before.
        t.teardown(() => store.close());
        store.onFsyncLatency(() => {
          // An interval fsync can complete after the subtest that owned `at` removed it:
          // a dir that is gone has no synced position left to remember.
          try {
            const segment = listDataFiles(at).segments.at(-1);
            if (segment !== undefined)
              synced.set(store, { segment, size: statSync(segmentPath(at, segment)).size });
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          }
        });
        return store;
      },
      async crash(store, tear) {
        const from = dir;
        dir = tempDir(t, `sb-contract-wal-${fsync}-`);
        const cut = new Map<string, number>();
        // A power cut loses what no fsync covered: tear the newest segment somewhere past
        // its last synced byte. (In `interval` mode what was written counts as durable, so
        // a crash there is a process crash: nothing torn beyond what was in flight.)
        const newest = listDataFiles(from).segments.at(-1);
        if (tear !== undefined && fsync === 'always' && newest !== undefined) {
          const size = statSync(segmentPath(from, newest)).size;
          const last = synced.get(store);
          const floor = last?.segment === newest ? last.size : 0;
          cut.set(segmentName(newest), floor + Math.floor(tear * (size - floor + 1)));
        }
        copyAsCrashed(from, dir, cut);
        await store.close();
      },
      compact: (store) => store.compactNow(),
      breakStorage(store) {
        // The log's open segment becomes a read-only file at the same descriptor number:
        // the next write fails (EBADF), as a device gone bad would make it fail.
        const fd = (store as unknown as { fd: number }).fd;
        closeSync(fd);
        const ro = openSync(path.join(dir, 'LOCK'), 'r');
        if (ro !== fd) {
          closeSync(ro);
          throw new Error(`could not put a read-only file at descriptor ${fd} (got ${ro})`);
        }
      },
    };
  };
}
