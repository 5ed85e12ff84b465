import { childArgs } from '../lib/child-main.js';
import { runChild } from '../lib/child-process.js';
import { startHub } from '../lib/hub.js';
import { latencyMetrics, throughputMetrics } from '../lib/load-scenario.js';
import { benchScript } from '../lib/paths.js';
import type { Result, Scenario, ScenarioContext } from '../lib/types.js';
import type { LatencyOutput, LoadgenParams, ThroughputOutput } from '../loadgen/params.js';

/**
 * What a queue limit costs (docs/rate-limits.md): the same workloads on one hub with the
 * `bench` queue unlimited, rate-limited and concurrency-capped, the limits set high enough
 * never to bind, so any difference is the overhead of checking them. The rate is 100,000
 * per second with a burst of the same (the sliding log and the spreading rule both run on
 * every start); the cap is exactly the workers' slots, so every completion also takes the
 * capped path (the freed slot is offered to the queue's other free workers).
 */

type Variant = 'unlimited' | 'rate-limited' | 'concurrency-capped';
const VARIANTS: Variant[] = ['unlimited', 'rate-limited', 'concurrency-capped'];

function limitsOf(variant: Variant, slots: number): object {
  if (variant === 'rate-limited') return { rate: { count: 100_000, perMs: 1000, burst: 100_000 } };
  if (variant === 'concurrency-capped') return { concurrency: slots };
  return {};
}

async function setLimits(httpUrl: string, limits: object): Promise<void> {
  // The queue must exist for the limits route: an HTTP worker registering for it makes it.
  const reg = await fetch(`${httpUrl}/api/workers/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workerId: 'bench-limits-setup', queues: ['bench'] }),
  });
  if (!reg.ok) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  await fetch(`${httpUrl}/api/workers/unregister`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workerId: 'bench-limits-setup' }),
  });
  const res = await fetch(`${httpUrl}/api/v1/queues/bench/limits`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(limits),
  });
  if (!res.ok) throw new Error(`limits: ${res.status} ${await res.text()}`);
}

const scenario: Scenario = {
  name: 'switchboard-limits',
  description:
    'queue limits overhead: unlimited vs rate-limited vs concurrency-capped queue (limits never binding), throughput and pickup latency, one hub',
  async run(ctx: ScenarioContext): Promise<Result[]> {
    const o = ctx.options;
    const rates = ctx.quick ? o.rates.slice(0, 1) : o.rates;
    const hub = await startHub(ctx, {
      preset: 'development',
      runs: VARIANTS.length * (rates.length + 1),
    });
    const httpUrl = String(hub.peer.httpUrl);
    const results: Result[] = [];
    // Rotate the order each run, so no variant always runs first (cold JIT) or last.
    const order = VARIANTS.map((_, i) => VARIANTS[(i + ctx.run - 1) % VARIANTS.length]!);
    try {
      for (const rate of [undefined, ...rates]) {
        const workload = rate === undefined ? 'throughput' : `latency@${rate}/s`;
        for (const variant of order) {
          await setLimits(httpUrl, limitsOf(variant, o.workers * o.concurrency));
          const base = { workers: o.workers, concurrency: o.concurrency, peer: hub.peer };
          const params: LoadgenParams =
            rate === undefined
              ? {
                  ...base,
                  mode: 'throughput',
                  tasks: o.tasks,
                  batch: o.batch,
                  window: o.window,
                  warmupTasks: o.warmupTasks,
                }
              : {
                  ...base,
                  mode: 'latency',
                  rate,
                  durationMs: o.durationMs,
                  warmupMs: ctx.quick ? 300 : 1000,
                  drainMs: 5000,
                };
          ctx.log(`switchboard-limits ${variant} ${workload} (run ${ctx.run}/${ctx.runs})`);
          const out = await runChild<ThroughputOutput | LatencyOutput>({
            label: `switchboard-${variant}`,
            args: childArgs(benchScript('loadgen/switchboard.js'), params, o.childTimeoutMs - 1000),
            timeoutMs: o.childTimeoutMs,
          });
          const system = `switchboard-${variant}`;
          if (out.kind !== 'result') {
            results.push({
              status: out.kind === 'skip' ? 'skipped' : 'failed',
              reason: out.reason,
              system,
              workload,
            });
            continue;
          }
          const data = out.data;
          results.push({
            status: 'ok',
            system,
            workload,
            metrics: data.mode === 'throughput' ? throughputMetrics(data) : latencyMetrics(data),
          });
        }
      }
    } finally {
      await hub.child.stop();
    }
    return results;
  },
};

export default scenario;
