import { childMain } from '../lib/child-main.js';
import { readProcStats } from '../lib/proc-stats.js';
import { WsFrameClient, type WireFrame } from './ws-frame-client.js';

interface Params {
  url: string;
  httpUrl: string;
  hubPid: number;
  tasks: number;
  workers: number;
  concurrency: number;
  settleMs: number;
}

async function heapUsed(httpUrl: string): Promise<number> {
  const text = await fetch(`${httpUrl}/metrics`).then((r) => r.text());
  const m = /^switchboard_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

/**
 * A deep queue: submit `tasks` with no worker connected, measure the hub's memory per queued
 * task, then connect workers and measure how fast they drain it.
 */
childMain<Params, Record<string, number>>(async (p) => {
  const before = readProcStats(p.hubPid).rssBytes;
  const heapBefore = await heapUsed(p.httpUrl);
  const producer = await WsFrameClient.connect(p.url);
  await producer.request({ t: 'hello', protocol: 1, client: 'deep' });
  const batch = 10_000;
  const t0 = performance.now();
  const inflight: Promise<WireFrame>[] = [];
  for (let i = 0; i < p.tasks; i += batch) {
    inflight.push(
      producer.request({
        t: 'submit_many',
        tasks: Array.from({ length: Math.min(batch, p.tasks - i) }, (_, k) => ({
          queue: 'deep',
          payload: { i: i + k },
        })),
      }),
    );
    if (inflight.length >= 4) await inflight.shift();
  }
  await Promise.all(inflight);
  const submitMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 1000));
  const rss = readProcStats(p.hubPid).rssBytes;
  const heap = await heapUsed(p.httpUrl);
  // Then what the hub holds once it has settled: quiet past its idle memory release
  // (server.idleMemoryReleaseMs, 10 s by default), as an operator would see it in `top`.
  await new Promise((r) => setTimeout(r, p.settleMs));
  const settledRss = readProcStats(p.hubPid).rssBytes;
  const settledHeap = await heapUsed(p.httpUrl);

  let done = 0;
  let resolveDone: () => void = () => undefined;
  const allDone = new Promise<void>((r) => (resolveDone = r));
  const workers: WsFrameClient[] = [];
  const t1 = performance.now();
  for (let w = 0; w < p.workers; w++) {
    const c = await WsFrameClient.connect(p.url);
    c.onFrame = (f: WireFrame) => {
      if (f.t !== 'task') return;
      c.send({ t: 'complete', taskId: f.taskId, attempt: f.attempt, result: null });
      if (++done === p.tasks) resolveDone();
    };
    await c.request({ t: 'hello', protocol: 1, client: 'deep-worker' });
    await c.request({ t: 'register', queues: ['deep'], concurrency: p.concurrency });
    workers.push(c);
  }
  await allDone;
  const drainMs = performance.now() - t1;
  await Promise.all([producer, ...workers].map((c) => c.close()));
  return {
    tasks: p.tasks,
    submitPerSec: Math.round(p.tasks / (submitMs / 1000)),
    rssMb: Math.round(rss / 1e6),
    rssPerTaskBytes: Math.round((rss - before) / p.tasks),
    heapPerTaskBytes: Math.round((heap - heapBefore) / p.tasks),
    settledRssMb: Math.round(settledRss / 1e6),
    settledRssPerTaskBytes: Math.round((settledRss - before) / p.tasks),
    settledHeapPerTaskBytes: Math.round((settledHeap - heapBefore) / p.tasks),
    drainPerSec: Math.round(p.tasks / (drainMs / 1000)),
  };
});
