import type { StoreOptions } from '../../server/store/index.js';

/** A WAL store in `dir` that fsyncs before every acknowledgement, as the production preset. */
export const walOptions = (dir: string, extra: Partial<StoreOptions> = {}): StoreOptions => ({
  mode: 'wal',
  dataDir: dir,
  fsync: 'always',
  fsyncIntervalMs: 100,
  ...extra,
});
