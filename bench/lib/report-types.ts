import type { Better, WorkloadOptions } from './types.js';

/** The JSON written by `--json` and read by report.ts. Version it if the shape changes. */
export interface AggregatedMetric {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly better: Better;
  /** Listed under the table, not a column (see Metric.detail). */
  readonly detail?: boolean;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** One value per successful run, in run order. */
  readonly values: readonly number[];
}

export interface AggregatedRow {
  readonly scenario: string;
  readonly workload: string;
  readonly system: string;
  /** ok when at least one run succeeded. */
  readonly status: 'ok' | 'skipped' | 'failed';
  /** Why skipped/failed, or which runs failed when status is ok. */
  readonly reason?: string;
  readonly okRuns: number;
  readonly attemptedRuns: number;
  readonly metrics: readonly AggregatedMetric[];
  readonly notes: readonly string[];
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** package name → installed version */
  readonly packages: Readonly<Record<string, string>>;
  /** peer server → version, or why it is unknown */
  readonly servers: Readonly<Record<string, string>>;
}

export interface BenchReport {
  readonly version: 1;
  readonly generatedAt: string;
  readonly command: string;
  readonly runs: number;
  readonly quick: boolean;
  readonly options: WorkloadOptions;
  readonly machine: MachineInfo;
  readonly rows: readonly AggregatedRow[];
}
