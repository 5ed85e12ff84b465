import { childArgs } from '../lib/child-main.js';
import { runChild } from '../lib/child-process.js';
import { startHub } from '../lib/hub.js';
import { benchScript } from '../lib/paths.js';
import type { Result, Scenario, ScenarioContext } from '../lib/types.js';
import type {
  ScheduleAccuracyParams,
  ScheduleAccuracyResult,
} from '../loadgen/schedule-accuracy.js';

/**
 * Schedule fire accuracy (docs/schedules.md) with 10,000 schedules on one hub (memory
 * store): how late each fire's task reaches a worker, p50/p99/max, with the fires spread
 * evenly (intervals) and all at once (one cron expression). A fresh hub for each shape.
 */

const SCHEDULES = 10_000;
const EVERY_MS = 10_000;

const scenario: Scenario = {
  name: 'switchboard-schedules',
  description: `schedule fire accuracy: ${SCHEDULES} schedules every ${EVERY_MS / 1000} s, spread (intervals) and aligned (one cron), lateness at the worker`,
  async run(ctx: ScenarioContext): Promise<Result[]> {
    const results: Result[] = [];
    for (const mode of ['spread', 'aligned'] as const) {
      const hub = await startHub(ctx, { preset: 'development', runs: 1 });
      try {
        const params: ScheduleAccuracyParams = {
          peer: { url: String(hub.peer.url), httpUrl: String(hub.peer.httpUrl) },
          mode,
          schedules: SCHEDULES,
          everyMs: EVERY_MS,
          warmupMs: EVERY_MS,
          durationMs: ctx.quick ? 2 * EVERY_MS : 6 * EVERY_MS,
        };
        ctx.log(`switchboard-schedules ${mode} (run ${ctx.run}/${ctx.runs})`);
        const timeoutMs = Math.max(ctx.options.childTimeoutMs, 180_000);
        const out = await runChild<ScheduleAccuracyResult>({
          label: `schedules-${mode}`,
          args: childArgs(benchScript('loadgen/schedule-accuracy.js'), params, timeoutMs - 1000),
          timeoutMs,
        });
        const system = 'switchboard-memory';
        const workload = `schedules-${mode}`;
        if (out.kind !== 'result') {
          results.push({
            status: out.kind === 'skip' ? 'skipped' : 'failed',
            reason: out.reason,
            system,
            workload,
          });
          continue;
        }
        const d = out.data;
        const ms = (key: string, label: string, value: number) => ({
          key,
          label,
          unit: 'ms',
          value,
          better: 'lower' as const,
        });
        results.push({
          status: 'ok',
          system,
          workload,
          metrics: [
            ms('p50', 'late p50', d.p50Ms),
            ms('p99', 'late p99', d.p99Ms),
            ms('max', 'late max', d.maxMs),
            {
              key: 'fires',
              label: 'fires/expected',
              unit: '%',
              value: (100 * d.fires) / d.expected,
              better: 'higher',
            },
            {
              key: 'create',
              label: 'creates/s',
              unit: '/s',
              value: d.createdPerSecond,
              better: 'higher',
            },
          ],
          notes: [
            `${mode}: ${d.fires} fires of ${d.expected} expected, ${d.duplicates} duplicates, p99.9 ${d.p999Ms.toFixed(1)} ms`,
          ],
        });
      } finally {
        await hub.child.stop();
      }
    }
    return results;
  },
};

export default scenario;
