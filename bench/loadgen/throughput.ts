import { performance } from 'node:perf_hooks';
import type { LoadAdapter, LoadHooks, TaskPayload } from './adapter.js';
import type { ThroughputOutput, ThroughputParams } from './params.js';

/**
 * End-to-end throughput: one producer submits `tasks` in batches of `batch`, at most
 * `window` batches awaiting their ack at once; the clock runs from the first submit until the
 * producer has seen the last result. `warmupTasks` run the same way first, untimed.
 */
export async function runThroughput(
  adapter: LoadAdapter,
  p: ThroughputParams,
): Promise<ThroughputOutput> {
  let seen = 0;
  let target = 0;
  let finish: () => void = () => {};
  const hooks: LoadHooks = {
    handlerStarted() {},
    resultSeen() {
      if (++seen === target) finish();
    },
  };
  /** Submit `count` tasks numbered from `first`; resolves with the time the last ack arrived. */
  const phase = async (first: number, count: number): Promise<{ submittedAt: number }> => {
    target = first + count;
    const allSeen = new Promise<void>((resolve) => (finish = resolve));
    const inflight = new Set<Promise<void>>();
    for (let off = 0; off < count; off += p.batch) {
      const n = Math.min(p.batch, count - off);
      const t = performance.now();
      const batch: TaskPayload[] = new Array(n);
      for (let k = 0; k < n; k++) batch[k] = { i: first + off + k, t };
      const pending = adapter.submit(batch);
      inflight.add(pending);
      void pending.then(() => inflight.delete(pending));
      if (inflight.size >= p.window) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const submittedAt = performance.now();
    await allSeen;
    return { submittedAt };
  };
  try {
    await adapter.start(hooks, {
      workers: p.workers,
      concurrency: p.concurrency,
      expectedTasks: p.tasks + p.warmupTasks,
    });
    if (p.warmupTasks > 0) await phase(0, p.warmupTasks);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const { submittedAt } = await phase(p.warmupTasks, p.tasks);
    const elapsedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const info = await adapter.describe();
    return {
      mode: 'throughput',
      tasks: p.tasks,
      elapsedMs,
      tasksPerSec: (p.tasks * 1000) / elapsedMs,
      submitMs: submittedAt - t0,
      loadgenCpuPct: (cpu.user + cpu.system) / 10 / elapsedMs,
      info,
    };
  } finally {
    await adapter.stop();
  }
}
