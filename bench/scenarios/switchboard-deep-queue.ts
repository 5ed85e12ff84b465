import { childArgs } from '../lib/child-main.js';
import { runChild } from '../lib/child-process.js';
import { startHub } from '../lib/hub.js';
import { benchScript } from '../lib/paths.js';
import type { Result, Scenario } from '../lib/types.js';

/** 1,000,000 queued tasks: memory per queued task, then the drain rate with 4 × 100 workers. */
const scenario: Scenario = {
  name: 'switchboard-deep-queue',
  description:
    'Switchboard: 1,000,000 tasks queued with no worker (memory per task), then drained by 4 workers × 100',
  async run(ctx): Promise<Result[]> {
    const tasks = ctx.quick ? 100_000 : 1_000_000;
    const hub = await startHub(ctx, {
      preset: 'development',
      nodeFlags: ['--max-old-space-size=4096'],
    });
    try {
      const out = await runChild<Record<string, number>>({
        label: 'deep-queue',
        args: childArgs(
          benchScript('loadgen/deep-queue.js'),
          {
            url: hub.peer.url,
            httpUrl: hub.peer.httpUrl,
            hubPid: hub.child.pid,
            tasks,
            workers: 4,
            concurrency: 100,
            settleMs: 14_000,
          },
          300_000,
        ),
        timeoutMs: 310_000,
      });
      if (out.kind !== 'result')
        return [
          {
            status: out.kind === 'skip' ? 'skipped' : 'failed',
            workload: 'deep queue',
            system: 'switchboard',
            reason: out.reason,
          },
        ];
      const d = out.data;
      return [
        {
          status: 'ok',
          workload: `${tasks} queued`,
          system: 'switchboard',
          metrics: [
            {
              key: 'rss-mb',
              label: 'hub RSS 1 s after',
              unit: 'MB',
              value: d.rssMb!,
              better: 'lower',
            },
            {
              key: 'rss-per-task',
              label: 'RSS/task 1 s after',
              unit: 'B',
              value: d.rssPerTaskBytes!,
              better: 'lower',
            },
            {
              key: 'heap-per-task',
              label: 'heap/task 1 s after',
              unit: 'B',
              value: d.heapPerTaskBytes!,
              better: 'lower',
            },
            {
              key: 'settled-rss-mb',
              label: 'hub RSS settled',
              unit: 'MB',
              value: d.settledRssMb!,
              better: 'lower',
            },
            {
              key: 'settled-rss-per-task',
              label: 'RSS/task settled',
              unit: 'B',
              value: d.settledRssPerTaskBytes!,
              better: 'lower',
            },
            {
              key: 'settled-heap-per-task',
              label: 'heap/task settled',
              unit: 'B',
              value: d.settledHeapPerTaskBytes!,
              better: 'lower',
            },
            {
              key: 'submit-rate',
              label: 'submit',
              unit: 'tasks/s',
              value: d.submitPerSec!,
              better: 'higher',
            },
            {
              key: 'drain-rate',
              label: 'drain',
              unit: 'tasks/s',
              value: d.drainPerSec!,
              better: 'higher',
            },
          ],
        },
      ];
    } finally {
      await hub.child.stop();
    }
  },
};

export default scenario;
