import t from 'tap';
import { RedisStore } from '../../server/store/index.js';
import { requireTool } from '../helpers/requires.js';
import { SHARED_REDIS_URL, dropAtTeardown, redisClient, testCluster } from '../helpers/redis.js';
import { CORE_OPTIONS, storeContract } from './store-contract.js';
import { stopCompactionThread, stopLeaseThread } from '../../server/store/index.js';

// The compaction thread outlives each store (it is kept for the next job): ended here, it
// exits by itself, as it does at a hub's stop.
t.teardown(() => Promise.all([stopCompactionThread(), stopLeaseThread()]));

// The Redis engine's log on the shared Redis, one cluster (key prefix) per harness. A
// record is durable once Redis answered the script that appended it ("after-write": in
// Redis's memory; on its disk too when Redis runs appendonly, see redis-store.test.ts).
// Exclusive: one store holds the lease at a time, and a second open() is refused with
// ENGINE_LEASE_HELD. Compaction: a worker thread replays the log onto the last snapshot
// through the core (with the live core's options) and writes the new one, which trims the
// log; the hub's live state is never asked for (no state snapshots).
if (requireTool('redis')) {
  storeContract(t, 'redis', (t) => {
    const keys = testCluster('contract');
    const admin = redisClient(t);
    dropAtTeardown(t, admin, keys);
    let n = 0;
    return {
      capabilities: {
        durable: 'after-write',
        journal: true,
        stateSnapshots: false,
        takesState: false,
        compaction: true,
        prepare: true,
        exclusive: true,
        lockedCode: 'ENGINE_LEASE_HELD',
        faults: true,
      },
      make: () =>
        new RedisStore({
          redis: SHARED_REDIS_URL,
          prefix: keys.prefix,
          hubId: `hub-${++n}`,
          leaseMs: 2000,
          replayOptions: CORE_OPTIONS,
          // Often enough that the crash tests meet compactions they did not ask for too.
          snapshotIntervalMs: 100,
          // Several chunks per snapshot, so the chunked write is what the contract checks.
          snapshotChunkBytes: 512,
        }),
      compact: (store) => store.compactNow(),
      async crash(store) {
        // The process dies: nothing flushed, the lease not released. A successor would wait
        // for the lease to expire; here it expires now (redis-lease.test.ts waits for real).
        store.abandon();
        await admin.del(keys.lease);
      },
      breakStorage(store) {
        // A successor takes over (its lease, a higher epoch) between two batches of the
        // store: sent on the store's own connection, so it runs before the next batch.
        const conn = store.connection!;
        void conn.del(keys.lease);
        void conn.incr(keys.epoch);
      },
    };
  });
}
