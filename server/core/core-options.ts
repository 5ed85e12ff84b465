import type { BackoffSpec } from '../../protocol/index.js';

/** The rules' settings: defaults for tasks, retention, and the timeouts of workers. */
export interface CoreOptions {
  defaultMaxAttempts: number;
  defaultBackoff: BackoffSpec;
  /** 0 = no limit. */
  defaultTimeoutMs: number;
  resultTtlMs: number;
  /**
   * Finished tasks (completed, cancelled, expired) kept for result lookups; beyond this the
   * ones due to expire soonest go first. Without a bound, results kept for an hour at
   * 5,000 tasks/s would be 18 million records.
   */
  maxFinishedTasks: number;
  heartbeatTimeoutMs: number;
  httpLeaseTimeoutMs: number;
  disconnectGraceMs: number;
  /** Stored messages one subscription may hold unacked; a publish beyond it is refused. */
  busMaxPending: number;
  /** How long a publisher's message id is remembered, to drop a second publish of it. */
  busDedupWindowMs: number;
  /** A delivered stored message not acked within this is delivered again. */
  busAckWaitMs: number;
  /**
   * Seeds where the federations' fact hashes sit in their tables (fact-table.ts). It decides
   * no id and no result, so replay with any seed gives the same state; a hub passes a secret
   * one (runtime/core-options.ts) so that agents who pick their hashes cannot line them up on
   * one probe chain. The core draws nothing itself.
   */
  hashSeed: number;
}

export const DEFAULT_CORE_OPTIONS: CoreOptions = {
  defaultMaxAttempts: 3,
  defaultBackoff: { type: 'exponential', delayMs: 1000, maxDelayMs: 3_600_000 },
  defaultTimeoutMs: 0,
  resultTtlMs: 3_600_000,
  maxFinishedTasks: 100_000,
  heartbeatTimeoutMs: 15_000,
  httpLeaseTimeoutMs: 30_000,
  disconnectGraceMs: 10_000,
  busMaxPending: 100_000,
  busDedupWindowMs: 120_000,
  busAckWaitMs: 30_000,
  hashSeed: 0,
};
