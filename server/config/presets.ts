import type { PresetName } from './schema.js';

/**
 * What each preset changes from the schema defaults. The defaults are production's: a
 * hub started with no configuration at all is durable and authenticated.
 */
export const PRESET_VALUES: Record<PresetName, Record<string, unknown>> = {
  development: {
    server: { host: '127.0.0.1' },
    auth: { enabled: false },
    store: { mode: 'memory' },
    log: { pretty: true },
  },
  production: {
    store: { mode: 'wal', fsync: 'always' },
    auth: { enabled: true },
  },
  // Several hubs as one: state in Redis, any hub serves, a dead leader is replaced.
  'high-availability': {
    redis: { url: 'redis://127.0.0.1:6379' },
    auth: { enabled: true },
  },
  throughput: {
    store: { mode: 'wal', fsync: 'interval', fsyncIntervalMs: 100 },
    auth: { enabled: true },
  },
};
