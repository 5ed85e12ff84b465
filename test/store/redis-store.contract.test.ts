import t from 'tap';
import { RedisStore } from '../../server/store/index.js';
import { requireTool } from '../helpers/requires.js';
import { SHARED_REDIS_URL, dropAtTeardown, redisClient, testCluster } from '../helpers/redis.js';
import { storeContract } from './store-contract.js';

// The Redis engine's log on the shared Redis, one cluster (key prefix) per harness. A
// record is durable once Redis answered the script that appended it ("after-write": in
// Redis's memory; on its disk too when Redis runs appendonly, see redis-store.test.ts).
// Exclusive: one store holds the lease at a time, and a second open() is refused with
// ENGINE_LEASE_HELD. State snapshots: the hub's state, written periodically, trims the
// log. No compaction of its own: without the hub's state the engine cannot fold the log.
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
        stateSnapshots: true,
        compaction: false,
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
          // Often enough that the crash tests meet periodic snapshots, not only the one at close.
          snapshotIntervalMs: 15,
          // Several chunks per snapshot, so the chunked write is what the contract checks.
          snapshotChunkBytes: 512,
        }),
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
