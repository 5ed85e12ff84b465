/**
 * The benchmark's shared vocabulary: what a scenario is, what it is given, what it returns.
 * A scenario is one named file in bench/scenarios/; the runner (bench/run.ts) calls it once
 * per run and aggregates what it returns into medians and spreads.
 */

/** Whether a larger or a smaller value of a metric is the better one. */
export type Better = 'higher' | 'lower';

/** One measured number. `key` is stable across runs and systems (it is what gets aggregated). */
export interface Metric {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly value: number;
  readonly better: Better;
  /**
   * A breakdown (e.g. Redis calls per task of one command): aggregated like any metric but
   * listed under the table rather than given a column of its own.
   */
  readonly detail?: boolean;
}

/** What one scenario run measured for one (workload, system) pair. */
export type Result =
  | {
      readonly status: 'ok';
      /** e.g. 'throughput', 'latency@5000/s'. Rows of the same workload are compared. */
      readonly workload: string;
      /** e.g. 'bullmq', 'jetstream-file', 'bare-uws', 'switchboard-memory'. */
      readonly system: string;
      readonly metrics: readonly Metric[];
      /** Facts worth printing under the table (server version, lost tasks, ...). */
      readonly notes?: readonly string[];
    }
  | {
      /** skipped: a peer is not reachable; failed: the run threw or a child timed out. */
      readonly status: 'skipped' | 'failed';
      readonly workload: string;
      readonly system: string;
      readonly reason: string;
    };

/** Workload sizes, already resolved from flags and --quick. */
export interface WorkloadOptions {
  /** Tasks in the end-to-end throughput workload. */
  readonly tasks: number;
  /** Throughput tasks run untimed first (JIT, connections); default min(10,000, tasks/10). */
  readonly warmupTasks: number;
  /** Tasks per submit batch. */
  readonly batch: number;
  /** Submit batches in flight at once in the throughput workload. */
  readonly window: number;
  readonly workers: number;
  readonly concurrency: number;
  /** Open-loop rates (tasks/s) of the latency workload. */
  readonly rates: readonly number[];
  readonly durationMs: number;
  /** Hard limit for each child process; it is killed when exceeded. */
  readonly childTimeoutMs: number;
  /** Hub counts of the multi-hub Redis scenario (one row each); default [1]. */
  readonly hubs: readonly number[];
}

/** What the runner hands to a scenario. */
export interface ScenarioContext {
  /** 1-based index of this run. */
  readonly run: number;
  readonly runs: number;
  readonly quick: boolean;
  readonly options: WorkloadOptions;
  /** Progress output (stderr), never part of results. */
  log(message: string): void;
}

export interface Scenario {
  /** Equal to the file name in bench/scenarios/ (kebab-case). */
  readonly name: string;
  readonly description: string;
  run(ctx: ScenarioContext): Promise<Result[]>;
}
