import t from 'tap';
import { storeContract } from './store-contract.js';
import { wal } from './wal-harness.js';

// Compaction by replay: what the WAL does when the state is too large to take in a pause
// (wal-store.ts, LIVE_COMPACTION_MAX_WEIGHT). The contract's states are small, so the
// harness forces it; the other WAL files compact from the state CoreDriver hands over.
// The crash property's default number of runs: with fewer, it may reach no torn tail, which
// the contract counts as not having tested recovery from one.
storeContract(t, 'wal (compaction by replay)', wal('always', { replay: true }));
