import { randomUUID } from 'node:crypto';
import { Producer, Worker } from '../client/index.js';

export interface QuickResult {
  tasks: number;
  seconds: number;
  opsPerSec: number;
  avgLatencyMs: number;
}

/**
 * A smoke test of a running hub: 1,000 tasks on a private queue through one in-process
 * worker, submit to result. The token needs producer and worker rights (an admin token).
 */
export async function runQuick(options: {
  url: string;
  token?: string | undefined;
  tasks?: number;
}): Promise<QuickResult> {
  const tasks = options.tasks ?? 1000;
  const queue = `bench-quick-${randomUUID().slice(0, 8)}`;
  const common = {
    url: options.url,
    ...(options.token ? { token: options.token } : {}),
    reconnect: { enabled: false },
  };
  const worker = new Worker(
    { ...common, queues: [queue], concurrency: 50 },
    (task) => task.payload,
  );
  const producer = new Producer(common);
  try {
    await worker.start();
    await producer.start();
    const started = new Map<string, number>();
    let total = 0;
    let seen = 0;
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((r) => (resolveDone = r));
    producer.on('result', (r) => {
      const t0 = started.get(r.taskId);
      if (t0 === undefined) return;
      total += performance.now() - t0;
      if (++seen === tasks) resolveDone();
    });
    const t0 = performance.now();
    for (let i = 0; i < tasks; i += 100) {
      const now = performance.now();
      const { ids } = await producer.submitMany(
        Array.from({ length: Math.min(100, tasks - i) }, (_, k) => ({
          queue,
          payload: i + k,
          resultTtlMs: 60_000,
        })),
      );
      for (const id of ids) started.set(id, now);
    }
    await done;
    const seconds = (performance.now() - t0) / 1000;
    return {
      tasks,
      seconds: +seconds.toFixed(3),
      opsPerSec: Math.round(tasks / seconds),
      avgLatencyMs: +(total / tasks).toFixed(2),
    };
  } finally {
    await producer.close();
    await worker.close({ timeoutMs: 1000 });
  }
}
