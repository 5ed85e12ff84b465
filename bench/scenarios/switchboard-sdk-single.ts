import { childArgs } from '../lib/child-main.js';
import { runChild } from '../lib/child-process.js';
import { startHub } from '../lib/hub.js';
import { benchScript } from '../lib/paths.js';
import type { Metric, Result, Scenario, ScenarioContext } from '../lib/types.js';
import type { SdkSingleOutput, SdkSingleParams, Side, SideOutput } from '../loadgen/sdk-single.js';

/**
 * What the SDK costs per task (issue 18 part 1): one submit at a time, 256 awaiting their
 * results, four workers of concurrency 32, through Producer/Worker and as raw frames, in
 * one load-generator process against one development hub, in the same run. The SDK row
 * carries its ratio to the raw row of that run (target: at least 0.8).
 */
const SYSTEMS: Record<Side, string> = { sdk: 'switchboard-sdk', raw: 'switchboard-raw-frames' };
const WORKLOAD = 'single-submit';

function metrics(o: SideOutput): Metric[] {
  return [
    {
      key: 'tasks-per-sec',
      label: 'tasks/s',
      unit: 'tasks/s',
      value: o.tasksPerSec,
      better: 'higher',
    },
    {
      key: 'loadgen-cpu-us-per-task',
      label: 'loadgen CPU/task',
      unit: 'µs',
      value: o.cpuUsPerTask,
      better: 'lower',
    },
    { key: 'loadgen-cpu-pct', label: 'loadgen CPU', unit: '%', value: o.cpuPct, better: 'lower' },
  ];
}

const scenario: Scenario = {
  name: 'switchboard-sdk-single',
  description:
    'SDK vs raw frames in one process: single submits, 256 in flight awaiting each result, 4 workers × 32; tasks/s and the ratio',
  async run(ctx: ScenarioContext): Promise<Result[]> {
    const o = ctx.options;
    const hub = await startHub(ctx, { preset: 'development', runs: 1 });
    // Alternate which side goes first, so neither always meets a cold or a warm hub.
    const order: Side[] = ctx.run % 2 === 1 ? ['sdk', 'raw'] : ['raw', 'sdk'];
    const params: SdkSingleParams = {
      url: String(hub.peer.url),
      tasks: o.tasks,
      warmupTasks: o.warmupTasks,
      inflight: 256,
      workers: 4,
      concurrency: 32,
      order,
    };
    ctx.log(`switchboard-sdk-single ${order.join(' then ')} (run ${ctx.run}/${ctx.runs})`);
    try {
      const out = await runChild<SdkSingleOutput>({
        label: 'sdk-single',
        args: childArgs(benchScript('loadgen/sdk-single.js'), params, o.childTimeoutMs - 1000),
        timeoutMs: o.childTimeoutMs,
      });
      if (out.kind !== 'result') {
        const status = out.kind === 'skip' ? 'skipped' : 'failed';
        return (['sdk', 'raw'] as const).map((s) => ({
          status,
          reason: out.reason,
          system: SYSTEMS[s],
          workload: WORKLOAD,
        }));
      }
      const { sdk, raw } = out.data;
      if (!sdk || !raw) throw new Error('the load generator did not report both sides');
      const ratio: Metric = {
        key: 'sdk-over-raw',
        label: 'SDK ÷ raw (same run)',
        unit: '×',
        value: sdk.tasksPerSec / raw.tasksPerSec,
        better: 'higher',
        detail: true,
      };
      return [
        {
          status: 'ok',
          system: SYSTEMS.sdk,
          workload: WORKLOAD,
          metrics: [...metrics(sdk), ratio],
        },
        { status: 'ok', system: SYSTEMS.raw, workload: WORKLOAD, metrics: metrics(raw) },
      ];
    } finally {
      await hub.child.stop();
    }
  },
};

export default scenario;
