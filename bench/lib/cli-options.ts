import { parseArgs } from 'node:util';
import type { WorkloadOptions } from './types.js';

export interface RunnerOptions {
  readonly only: readonly string[] | undefined;
  readonly runs: number;
  readonly quick: boolean;
  readonly json: string | undefined;
  readonly md: boolean;
  readonly list: boolean;
  readonly help: boolean;
  readonly workload: WorkloadOptions;
}

export const USAGE = `usage: node dist/bench/run.js [flags]      (npm run bench -- [flags])

  --only a,b          run only these scenarios (names from --list)
  --list              list scenarios and exit
  --runs N            runs per scenario (default 3); median and min–max are reported
  --quick             small workloads: 10,000 tasks, 2 s per latency rate, 1 run unless --runs
  --json FILE         write the aggregated results as JSON
  --md                regenerate the results section of docs/benchmarks.md
  --tasks N           throughput tasks (default 100000; quick 10000)
  --warmup N          untimed throughput tasks first (default min(10000, tasks/10); 0 = none)
  --batch N           tasks per submit batch (default 1000)
  --window N          submit batches in flight (default 4)
  --workers W         worker connections (default 4)
  --concurrency C     tasks per worker at once (default 100)
  --rates a,b         latency rates in tasks/s (default 2000,5000)
  --duration S        seconds per latency rate (default 10; quick 2)
  --timeout S         hard limit per child process in seconds (default 120; quick 60)
  --hubs a,b          hub counts for switchboard-redis-throughput, one row each (default 1):
                      N hubs on one Redis, workers spread over them round-robin
`;

function int(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--${flag} must be a positive number, got ${value}`);
  return n;
}

export function parseRunnerOptions(argv: readonly string[]): RunnerOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      only: { type: 'string' },
      list: { type: 'boolean', default: false },
      runs: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      md: { type: 'boolean', default: false },
      tasks: { type: 'string' },
      batch: { type: 'string' },
      warmup: { type: 'string' },
      window: { type: 'string' },
      workers: { type: 'string' },
      concurrency: { type: 'string' },
      rates: { type: 'string' },
      duration: { type: 'string' },
      timeout: { type: 'string' },
      hubs: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const quick = values.quick ?? false;
  const tasks = int(values.tasks, quick ? 10_000 : 100_000, 'tasks');
  const rates = (values.rates ?? '2000,5000').split(',').map((r) => int(r.trim(), 0, 'rates'));
  const hubs = (values.hubs ?? '1').split(',').map((h) => Math.floor(int(h.trim(), 0, 'hubs')));
  return {
    only: values.only
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    runs: int(values.runs, quick ? 1 : 3, 'runs'),
    quick,
    json: values.json,
    md: values.md ?? false,
    list: values.list ?? false,
    help: values.help ?? false,
    workload: {
      tasks,
      warmupTasks:
        values.warmup === undefined
          ? Math.min(10_000, Math.floor(tasks / 10))
          : Number(values.warmup),
      batch: int(values.batch, 1000, 'batch'),
      window: int(values.window, 4, 'window'),
      workers: int(values.workers, 4, 'workers'),
      concurrency: int(values.concurrency, 100, 'concurrency'),
      rates,
      durationMs: int(values.duration, quick ? 2 : 10, 'duration') * 1000,
      childTimeoutMs: int(values.timeout, quick ? 60 : 120, 'timeout') * 1000,
      hubs,
    },
  };
}
