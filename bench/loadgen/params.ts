import type { LatencySummary } from '../lib/stats.js';

/** Parameters every load generator accepts (passed as --params JSON). */
export interface CommonParams {
  readonly workers: number;
  readonly concurrency: number;
  /** System-specific settings (a URL, a storage type, ...). */
  readonly peer?: Readonly<Record<string, string | number | boolean>>;
}

export interface ThroughputParams extends CommonParams {
  readonly mode: 'throughput';
  readonly tasks: number;
  readonly batch: number;
  readonly window: number;
  /** Tasks run end to end before the clock starts (JIT and connection warm-up), untimed. */
  readonly warmupTasks: number;
}

export interface LatencyParams extends CommonParams {
  readonly mode: 'latency';
  readonly rate: number;
  readonly durationMs: number;
  /** Sent before measuring starts, at the same rate, and not recorded. */
  readonly warmupMs: number;
  /** How long to wait for stragglers after the last submit. */
  readonly drainMs: number;
}

export type LoadgenParams = ThroughputParams | LatencyParams;

export interface ThroughputOutput {
  readonly mode: 'throughput';
  readonly tasks: number;
  /** First submit to the producer seeing the last result. */
  readonly elapsedMs: number;
  readonly tasksPerSec: number;
  /** First submit to the last submit acknowledged. */
  readonly submitMs: number;
  /** CPU the load generator used during the measurement, % of one core. */
  readonly loadgenCpuPct: number;
  readonly info: Record<string, string>;
}

export interface LatencyOutput {
  readonly mode: 'latency';
  readonly rate: number;
  readonly achievedRate: number;
  readonly sent: number;
  readonly received: number;
  /** submit → handler start, ms */
  readonly pickup: LatencySummary;
  /** [submitted, handler started] in Unix ms of every task at or beyond the pickup p99. */
  readonly pickupTail: readonly (readonly [number, number])[];
  /** The measured stretch, Unix ms. */
  readonly measuredFrom: number;
  readonly measuredTo: number;
  /** Share of those tasks that waited through a GC pause of the load generator itself, %. */
  readonly tailInLoadgenGcPct: number;
  /** submit → producer sees the result, ms */
  readonly roundTrip: LatencySummary;
  /** CPU the load generator used during the measurement, % of one core. */
  readonly loadgenCpuPct: number;
  readonly info: Record<string, string>;
}

export type LoadgenOutput = ThroughputOutput | LatencyOutput;
