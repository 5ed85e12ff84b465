import { childArgs } from '../lib/child-main.js';
import { runChild } from '../lib/child-process.js';
import { startHub } from '../lib/hub.js';
import { benchScript } from '../lib/paths.js';
import type { Result, Scenario } from '../lib/types.js';
import type { BusSseResult } from '../loadgen/bus-sse.js';

/**
 * The message bus's SSE subscribers against the SDK's WebSocket ones on the same hub: how
 * fast one subscriber gets stored messages (which an SSE client confirms by reconnecting,
 * one reconnect per `maxInFlight`) and at-most-once ones.
 */
const scenario: Scenario = {
  name: 'switchboard-bus-sse',
  description:
    'Switchboard message bus, memory store: one subscriber over SSE vs over the SDK (WebSocket), stored (durable, at-least-once) and at-most-once messages',
  async run(ctx): Promise<Result[]> {
    const messages = ctx.quick ? 5000 : 50_000;
    const maxInFlight = 1000;
    const hub = await startHub(ctx, { preset: 'development' });
    const results: Result[] = [];
    try {
      for (const qos of ['at-least-once', 'at-most-once'] as const) {
        const workload = `bus ${qos} ×${messages}`;
        for (const via of ['ws', 'sse'] as const) {
          const system = `switchboard-${via}`;
          ctx.log(`${system}: ${workload}`);
          const out = await runChild<BusSseResult>({
            label: `bus-${via}`,
            args: childArgs(
              benchScript('loadgen/bus-sse.js'),
              { peer: hub.peer, via, qos, messages, window: 256, maxInFlight },
              ctx.options.childTimeoutMs,
            ),
            timeoutMs: ctx.options.childTimeoutMs + 10_000,
          });
          if (out.kind !== 'result') {
            results.push({
              status: out.kind === 'skip' ? 'skipped' : 'failed',
              workload,
              system,
              reason: out.reason,
            });
            continue;
          }
          const r = out.data;
          results.push({
            status: 'ok',
            workload,
            system,
            metrics: [
              {
                key: 'rate',
                label: 'delivered',
                unit: 'msg/s',
                value: r.perSecond,
                better: 'higher',
              },
              {
                key: 'received',
                label: 'received',
                unit: 'msgs',
                value: r.received,
                better: 'higher',
              },
              {
                key: 'dups',
                label: 'duplicates',
                unit: 'msgs',
                value: r.duplicates,
                better: 'lower',
              },
              ...(via === 'sse'
                ? [
                    {
                      key: 'connections',
                      label: 'SSE connections',
                      unit: 'count',
                      value: r.connections,
                      better: 'lower' as const,
                      detail: true,
                    },
                  ]
                : []),
            ],
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
