import { childArgs } from '../lib/child-main.js';
import { runChild } from '../lib/child-process.js';
import { startHub } from '../lib/hub.js';
import { benchScript } from '../lib/paths.js';
import { diffProcStats, readProcStats } from '../lib/proc-stats.js';
import type { Result, Scenario } from '../lib/types.js';

/** 10,000 idle workers on one hub: connect time, hub RSS and heap per connection, idle CPU. */
const scenario: Scenario = {
  name: 'switchboard-connections',
  description:
    'Switchboard: 10,000 idle workers (hello + register + heartbeats every 5 s): connect time, hub memory per connection, CPU at idle',
  async run(ctx): Promise<Result[]> {
    const connections = ctx.quick ? 1000 : 10_000;
    const holdMs = ctx.quick ? 6000 : 30_000;
    const hub = await startHub(ctx, { preset: 'development' });
    try {
      const pid = hub.child.pid;
      const httpUrl = String(hub.peer.httpUrl);
      const base = readProcStats(pid);
      const child = runChild<{ connectMs: number; connections: number }>({
        label: 'idle-workers',
        args: childArgs(
          benchScript('loadgen/idle-workers.js'),
          { url: hub.peer.url, connections, holdMs },
          holdMs + 120_000,
        ),
        timeoutMs: holdMs + 130_000,
      });
      // Wait until every worker is registered, then measure a window of pure idling.
      let registered = 0;
      for (let i = 0; i < 1200 && registered < connections; i++) {
        await new Promise((r) => setTimeout(r, 100));
        registered = (
          (await fetch(`${httpUrl}/api/v1/stats`).then((r) => r.json())) as { workers: number }
        ).workers;
      }
      const windowMs = Math.max(1000, holdMs - 2000);
      const s0 = readProcStats(pid);
      await new Promise((r) => setTimeout(r, windowMs));
      const s1 = readProcStats(pid);
      const text = await fetch(`${httpUrl}/metrics`).then((r) => r.text());
      const heap = Number(/^switchboard_nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN);
      const out = await child;
      if (out.kind !== 'result')
        return [
          {
            status: out.kind === 'skip' ? 'skipped' : 'failed',
            workload: 'connections',
            system: 'switchboard',
            reason: out.reason,
          },
        ];
      const cpu = diffProcStats(s0, s1);
      return [
        {
          status: 'ok',
          workload: `${connections} idle workers`,
          system: 'switchboard',
          metrics: [
            {
              key: 'connect-ms',
              label: 'connect all',
              unit: 'ms',
              value: out.data.connectMs,
              better: 'lower',
            },
            {
              key: 'rss-mb',
              label: 'hub RSS',
              unit: 'MB',
              value: +(s1.rssBytes / 1e6).toFixed(1),
              better: 'lower',
            },
            {
              key: 'rss-per-conn',
              label: 'RSS/conn',
              unit: 'KB',
              value: +((s1.rssBytes - base.rssBytes) / registered / 1024).toFixed(2),
              better: 'lower',
            },
            {
              key: 'heap-mb',
              label: 'hub heap',
              unit: 'MB',
              value: +(heap / 1e6).toFixed(1),
              better: 'lower',
            },
            {
              key: 'idle-cpu',
              label: 'hub CPU idle',
              unit: '%',
              value: +((cpu.cpuMs / windowMs) * 100).toFixed(2),
              better: 'lower',
            },
          ],
          notes: [
            `${registered} workers registered; CPU measured over ${Math.round(windowMs / 1000)} s of heartbeats`,
          ],
        },
      ];
    } finally {
      await hub.child.stop();
    }
  },
};

export default scenario;
