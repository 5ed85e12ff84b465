import { MemoryStore } from './memory-store.js';
import { SnapshotStore } from './snapshot-store.js';
import type { Store, StoreOptions } from './store.js';
import { WalStore } from './wal-store.js';

export type {
  Store,
  StoreOptions,
  Recovered,
  RecoveryStats,
  StoreStats,
  PersistenceMode,
  StoreLogger,
} from './store.js';
export { StoreError, StoreCorruptError, StoreErrorCode } from './errors.js';
export { MemoryStore } from './memory-store.js';
export { WalStore } from './wal-store.js';
export { SnapshotStore } from './snapshot-store.js';

export function createStore(options: StoreOptions): Store {
  switch (options.mode) {
    case 'memory':
      return new MemoryStore();
    case 'snapshot':
      return new SnapshotStore(options);
    case 'wal':
      return new WalStore(options);
  }
}
