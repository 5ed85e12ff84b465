import { Worker } from '../../client/index.js';
import { childMain } from '../lib/child-main.js';
import { summarize } from '../lib/stats.js';

/**
 * How late schedule fires run (docs/schedules.md): `schedules` schedules on one hub, each
 * fire's task received by a worker in this process, lateness = receive time − occurrence
 * (the occurrence is in the task id: `<schedule id>.<ms in base 36>`). Hub and worker share
 * the machine's clock. Two shapes:
 *
 * - spread: intervals of `everyMs`, anchored at their creation, so fires are spread evenly
 *   (10,000 every 10 s: 1,000 fires a second);
 * - aligned: one cron expression for all (`*\/10 * * * * *`), so every schedule fires at the
 *   same instant, 10,000 at once each 10 s: the herd at the top of a minute.
 */
export interface ScheduleAccuracyParams {
  peer: { url: string; httpUrl: string };
  mode: 'spread' | 'aligned';
  schedules: number;
  everyMs: number;
  /** Fires before this long after the last create are not recorded (JIT, connections). */
  warmupMs: number;
  durationMs: number;
}

export interface ScheduleAccuracyResult {
  createdPerSecond: number;
  fires: number;
  /** Fires expected in the window (schedules × window / interval). */
  expected: number;
  duplicates: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

async function create(httpUrl: string, body: object): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${httpUrl}/api/v1/schedules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status === 201) return;
    if (attempt >= 3) throw new Error(`create: ${res.status} ${await res.text()}`);
  }
}

childMain<ScheduleAccuracyParams, ScheduleAccuracyResult>(async (p) => {
  const queue = `bench-schedules-${p.mode}`;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.POSITIVE_INFINITY;
  const late: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  const worker = new Worker(
    { url: p.peer.url, queues: [queue], concurrency: 2000 },
    async (task) => {
      const now = Date.now();
      const at = parseInt(task.id.slice(task.id.lastIndexOf('.') + 1), 36);
      if (at >= from && at < to) {
        if (seen.has(task.id)) duplicates++;
        else {
          seen.add(task.id);
          late.push(now - at);
        }
      }
      return null;
    },
  );
  await worker.start();

  const t0 = performance.now();
  let next = 0;
  const lanes = Array.from({ length: 32 }, async () => {
    for (let i = next++; i < p.schedules; i = next++) {
      await create(p.peer.httpUrl, {
        name: `bench-${p.mode}-${i}`,
        ...(p.mode === 'spread'
          ? { everyMs: p.everyMs }
          : { cron: `*/${Math.round(p.everyMs / 1000)} * * * * *` }),
        task: { queue, payload: { i } },
      });
    }
  });
  await Promise.all(lanes);
  const createdPerSecond = p.schedules / ((performance.now() - t0) / 1000);

  // Whole intervals, so each schedule falls due the same number of times in the window.
  from = Math.ceil((Date.now() + p.warmupMs) / p.everyMs) * p.everyMs;
  to = from + Math.max(1, Math.round(p.durationMs / p.everyMs)) * p.everyMs;
  while (Date.now() < to + 3000) await new Promise((r) => setTimeout(r, 200));
  await worker.close({ timeoutMs: 1000 });
  const s = summarize(Float64Array.from(late));
  return {
    createdPerSecond,
    fires: s.count,
    expected: (p.schedules * (to - from)) / p.everyMs,
    duplicates,
    p50Ms: s.p50,
    p99Ms: s.p99,
    p999Ms: s.p999,
    maxMs: s.max,
  };
});
