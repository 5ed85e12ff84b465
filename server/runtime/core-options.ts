import { randomInt } from 'node:crypto';
import type { HubConfig } from '../config/index.js';

/**
 * The core's options from the config. One set for the live core and for every replay of its
 * journal (the WAL's compaction thread, the Redis engine's): a replay with other defaults
 * (result TTL, maxFinished) would evict other tasks than the hub did.
 */
export function coreOptionsFrom(config: HubConfig): {
  defaultMaxAttempts: number;
  defaultBackoff: HubConfig['tasks']['defaultBackoff'];
  defaultTimeoutMs: number;
  resultTtlMs: number;
  maxFinishedTasks: number;
  heartbeatTimeoutMs: number;
  httpLeaseTimeoutMs: number;
  disconnectGraceMs: number;
  busMaxPending: number;
  busDedupWindowMs: number;
  busAckWaitMs: number;
  hashSeed: number;
} {
  return {
    defaultMaxAttempts: config.tasks.defaultMaxAttempts,
    defaultBackoff: config.tasks.defaultBackoff,
    defaultTimeoutMs: config.tasks.defaultTimeoutMs,
    resultTtlMs: config.tasks.resultTtlMs,
    maxFinishedTasks: config.tasks.maxFinished,
    heartbeatTimeoutMs: config.workers.heartbeatTimeoutMs,
    httpLeaseTimeoutMs: config.workers.httpLeaseTimeoutMs,
    disconnectGraceMs: config.workers.disconnectGraceMs,
    busMaxPending: config.bus.maxPending,
    busDedupWindowMs: config.bus.dedupWindowMs,
    busAckWaitMs: config.bus.ackWaitMs,
    // Secret, drawn here and not in the core (which stays pure): where fact hashes sit in
    // the federations' tables, never what they hold (CoreOptions.hashSeed).
    hashSeed: randomInt(0, 2 ** 32),
  };
}
