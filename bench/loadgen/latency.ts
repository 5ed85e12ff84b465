import { performance, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadAdapter, LoadHooks, TaskPayload } from './adapter.js';
import type { LatencyOutput, LatencyParams } from './params.js';
import { attributeTail, type GcPause } from '../lib/gc-log.js';
import { summarize } from '../lib/stats.js';

/**
 * Pickup latency under an open-loop steady rate: tasks are submitted on schedule whether or
 * not earlier ones have finished (a ~1 ms timer tick submits what is due as one batch, stamped
 * with the actual send time). Records submit → handler start and submit → result seen for
 * every task after the warm-up.
 */
export async function runLatency(adapter: LoadAdapter, p: LatencyParams): Promise<LatencyOutput> {
  const warm = Math.round((p.rate * p.warmupMs) / 1000);
  const measured = Math.round((p.rate * p.durationMs) / 1000);
  const total = warm + measured;
  const pickup = new Float64Array(measured);
  /** When each measured handler started (performance.now()), to place slow ones in time. */
  const pickupAt = new Float64Array(measured);
  const roundTrip = new Float64Array(measured);
  let nPickup = 0;
  let nRound = 0;
  let seen = 0;
  let finish!: () => void;
  const allSeen = new Promise<void>((resolve) => (finish = resolve));
  const hooks: LoadHooks = {
    handlerStarted(task) {
      const now = performance.now();
      if (task.i >= warm && nPickup < measured) {
        pickupAt[nPickup] = now;
        pickup[nPickup++] = now - task.t;
      }
    },
    resultSeen(task) {
      const d = performance.now() - task.t;
      if (task.i >= warm && nRound < measured) roundTrip[nRound++] = d;
      if (++seen === total) finish();
    },
  };
  // This process's own GC pauses: a task whose handler start waited for one was slowed by the
  // load generator, not by the server under test.
  const ownPauses: GcPause[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      ownPauses.push({ start: performance.timeOrigin + e.startTime, duration: e.duration });
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  try {
    await adapter.start(hooks, {
      workers: p.workers,
      concurrency: p.concurrency,
      expectedTasks: total,
    });
    let submitError: unknown;
    let sent = 0;
    let measureStart = 0;
    let lastSend = 0;
    const start = performance.now();
    let cpu0 = process.cpuUsage();
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = performance.now();
        const due = Math.min(total, Math.floor(((now - start) * p.rate) / 1000));
        if (due > sent) {
          const batch: TaskPayload[] = new Array(due - sent);
          for (let k = 0; k < batch.length; k++) batch[k] = { i: sent + k, t: now };
          if (sent <= warm && due > warm) {
            measureStart = now;
            cpu0 = process.cpuUsage();
          }
          sent = due;
          lastSend = now;
          adapter.submit(batch).catch((err: unknown) => (submitError ??= err));
        }
        if (sent < total && submitError === undefined) setTimeout(tick, 1);
        else resolve();
      };
      tick();
    });
    if (submitError !== undefined) throw submitError;
    await Promise.race([allSeen, sleep(p.drainMs)]);
    const elapsed = lastSend - measureStart;
    const cpu = process.cpuUsage(cpu0);
    const loadgenCpuPct = (cpu.user + cpu.system) / 10 / (performance.now() - measureStart);
    const info = await adapter.describe();
    // summarize() sorts in place; the tail below needs the latencies in arrival order.
    const pickupSummary = summarize(pickup.slice(0, nPickup));
    const origin = performance.timeOrigin;
    // Entries are delivered a turn later; take the ones not delivered yet.
    for (const e of gcObserver.takeRecords()) {
      ownPauses.push({ start: origin + e.startTime, duration: e.duration });
    }
    const measuredFrom = origin + measureStart;
    const measuredTo = origin + (nPickup > 0 ? pickupAt[nPickup - 1]! : lastSend);
    const pickupTail: [number, number][] = [];
    for (let k = 0; k < nPickup; k++) {
      if (pickup[k]! >= pickupSummary.p99) {
        pickupTail.push([origin + pickupAt[k]! - pickup[k]!, origin + pickupAt[k]!]);
      }
    }
    return {
      mode: 'latency',
      rate: p.rate,
      achievedRate: elapsed > 0 ? ((measured - 1) * 1000) / elapsed : Number.NaN,
      sent: measured,
      received: nRound,
      pickup: pickupSummary,
      pickupTail,
      measuredFrom,
      measuredTo,
      tailInLoadgenGcPct: attributeTail(pickupTail, ownPauses, measuredFrom, measuredTo)
        .tailInGcPct,
      roundTrip: summarize(roundTrip.subarray(0, nRound)),
      loadgenCpuPct,
      info,
    };
  } finally {
    gcObserver.disconnect();
    await adapter.stop();
  }
}
