import { childArgs } from '../lib/child-main.js';
import { runChild } from '../lib/child-process.js';
import { startHub } from '../lib/hub.js';
import { benchScript } from '../lib/paths.js';
import type { Metric, Result, Scenario } from '../lib/types.js';
import type { FanoutResult, FanoutSystem } from '../loadgen/bus-fanout.js';

/** Deliveries per second the latency rows run at, whatever the subscriber count. */
const LATENCY_DELIVERIES_PER_SECOND = 20_000;

/**
 * The message bus's at-most-once fan-out against NATS core pub/sub and Redis pub/sub, run in
 * the same script on the same machine: deliveries per second with 1, 10 and 100 subscribers
 * (each its own connection), and publish -> handler latency at a fixed delivery rate.
 */
const scenario: Scenario = {
  name: 'switchboard-bus-fanout',
  description:
    'message bus at-most-once fan-out vs NATS core and Redis pub/sub: deliveries/s with 1, 10, 100 subscribers; p50/p99 publish -> handler at 20,000 deliveries/s after a 2 s warm-up at that rate',
  async run(ctx): Promise<Result[]> {
    const hub = await startHub(ctx, { preset: 'development' });
    const systems: FanoutSystem[] = ['switchboard', 'nats', 'redis'];
    const results: Result[] = [];
    const deliveries = ctx.quick ? 100_000 : 400_000;
    try {
      for (const subscribers of [1, 10, 100]) {
        const messages = Math.round(deliveries / subscribers);
        const rate = LATENCY_DELIVERIES_PER_SECOND / subscribers;
        for (const mode of ['throughput', 'latency'] as const) {
          const workload =
            mode === 'throughput'
              ? `fan-out ×${subscribers} subscribers, ${messages} msgs`
              : `latency ×${subscribers} subscribers @${rate} msg/s`;
          for (const system of systems) {
            ctx.log(`${system}: ${workload}`);
            const out = await runChild<FanoutResult>({
              label: `bus-fanout-${system}`,
              args: childArgs(
                benchScript('loadgen/bus-fanout.js'),
                {
                  system,
                  peer: hub.peer,
                  subscribers,
                  mode,
                  messages,
                  window: 256,
                  rate,
                  durationMs: ctx.quick ? 2000 : 5000,
                  warmupMs: 2000,
                },
                ctx.options.childTimeoutMs,
              ),
              timeoutMs: ctx.options.childTimeoutMs + 10_000,
            });
            const name = system === 'switchboard' ? 'switchboard-memory' : `${system}-pubsub`;
            if (out.kind !== 'result') {
              results.push({
                status: out.kind === 'skip' ? 'skipped' : 'failed',
                workload,
                system: name,
                reason: out.reason,
              });
              continue;
            }
            results.push({
              status: 'ok',
              workload,
              system: name,
              metrics: metricsOf(mode, out.data),
            });
          }
        }
      }
    } finally {
      await hub.child.stop();
    }
    return results;
  },
};

function metricsOf(mode: 'throughput' | 'latency', r: FanoutResult): Metric[] {
  const lost: Metric = {
    key: 'lost',
    label: 'not delivered',
    unit: '%',
    value: r.expected ? Math.round((1 - r.delivered / r.expected) * 10_000) / 100 : 0,
    better: 'lower',
  };
  if (mode === 'throughput')
    return [
      {
        key: 'rate',
        label: 'delivered',
        unit: 'msg/s',
        value: r.deliveredPerSecond,
        better: 'higher',
      },
      {
        key: 'published',
        label: 'published',
        unit: 'msg/s',
        value: r.publishedPerSecond,
        better: 'higher',
        detail: true,
      },
      lost,
    ];
  return [
    { key: 'p50', label: 'p50', unit: 'ms', value: r.p50Ms, better: 'lower' },
    { key: 'p99', label: 'p99', unit: 'ms', value: r.p99Ms, better: 'lower' },
    { key: 'max', label: 'max', unit: 'ms', value: r.maxMs, better: 'lower', detail: true },
    lost,
  ];
}

export default scenario;
