import t from 'tap';
import { storeContract } from './store-contract.js';
import { wal } from './wal-harness.js';

// The production setting: an ack waits for the fdatasync covering its record.
storeContract(t, 'wal (fsync always)', wal('always'));
