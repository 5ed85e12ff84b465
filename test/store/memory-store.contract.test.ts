import t from 'tap';
import { MemoryStore } from '../../server/store/index.js';
import { storeContract } from './store-contract.js';

// Nothing on disk: every record is durable on append, and a restart starts empty.
storeContract(t, 'memory', () => ({
  capabilities: {
    durable: 'at-once',
    journal: false,
    stateSnapshots: false,
    takesState: false,
    compaction: false,
    prepare: false,
    exclusive: false,
    faults: false,
  },
  make: () => new MemoryStore(),
  crash: async () => {},
}));
