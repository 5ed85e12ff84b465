import t from 'tap';
import { storeContract } from './store-contract.js';
import { wal } from './wal-harness.js';

// The throughput setting: a batch is durable once written, fdatasync runs on a timer. A
// file of its own so tap runs it beside the `always` mode (compaction threads start slowly).
storeContract(t, 'wal (fsync interval)', wal('interval'), { propertyRuns: 20 });
