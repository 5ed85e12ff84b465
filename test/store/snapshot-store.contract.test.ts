import t from 'tap';
import { SnapshotStore } from '../../server/store/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { copyAsCrashed, storeContract } from './store-contract.js';

// Periodic full snapshots of the state the hub hands over; no log, acks at once.
storeContract(t, 'snapshot', (t) => {
  let dir = tempDir(t, 'sb-contract-snap-');
  return {
    capabilities: {
      durable: 'at-once',
      journal: false,
      stateSnapshots: true,
      takesState: true,
      compaction: false,
      prepare: false,
      exclusive: true,
      faults: false,
    },
    make: () =>
      new SnapshotStore({
        mode: 'snapshot',
        dataDir: dir,
        fsync: 'always',
        fsyncIntervalMs: 100,
        // Often enough that the crash tests meet periodic snapshots, not only the one at close.
        snapshotIntervalMs: 10,
      }),
    async crash(store) {
      const from = dir;
      dir = tempDir(t, 'sb-contract-snap-');
      copyAsCrashed(from, dir);
      // The dead process's store: stop its timer (its final snapshot lands in the old dir).
      await store.close();
    },
  };
});
