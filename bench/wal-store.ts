/**
 * Store benchmark, in one process, against the real WAL on this machine's disk:
 *  - append throughput with fsync before ack (group commit) and fsyncs/s,
 *  - the main-thread pause while compacting with 100,000 queued tasks (replay in a thread),
 *  - the same log of federation pushes compacted both ways, from the live state and by
 *    replay: wall time, the process's CPU, and the event loop's delay meanwhile,
 *  - recovery time (read + replay through the core) for 1,000,000 WAL records.
 *
 *   npx tsc -p . && node dist/bench/wal-store.js [--records 1000000] [--queued 100000] [--agents 5000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Core, type Command } from '../server/core/index.js';
import { WalStore } from '../server/store/index.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};

function durable(store: WalStore, seq: number): Promise<void> {
  return new Promise((resolve, reject) =>
    store.onDurable(seq, (err) => (err ? reject(err) : resolve())),
  );
}

const submit = (i: number): Command => ({
  type: 'task.submit',
  now: 1_700_000_000_000 + i,
  tasks: [
    {
      id: `b-${i.toString(36)}`,
      spec: { queue: `q${i % 4}`, payload: { n: i, body: 'x'.repeat(100) } },
    },
  ],
});

async function appendThroughput(records: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-walbench-'));
  try {
    const store = new WalStore({
      mode: 'wal',
      dataDir: dir,
      fsync: 'always',
      fsyncIntervalMs: 100,
    });
    await store.open();
    // A producer pipeline: batches of 1,000 records in flight, 8 at a time, each awaited.
    const t0 = performance.now();
    let next = 0;
    const inflight: Promise<void>[] = [];
    while (next < records) {
      let seq = 0;
      for (let i = 0; i < 1000 && next < records; i++) seq = store.append(submit(next++));
      inflight.push(durable(store, seq));
      if (inflight.length >= 8) await inflight.shift();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(inflight);
    const s = (performance.now() - t0) / 1000;
    const fsyncs = store.stats().fsyncs;
    await store.close();
    return {
      records,
      seconds: +s.toFixed(2),
      recordsPerSec: Math.round(records / s),
      fsyncs,
      fsyncsPerSec: Math.round(fsyncs / s),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function compactionPause(queued: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-compact-'));
  try {
    const store = new WalStore({
      mode: 'wal',
      dataDir: dir,
      fsync: 'always',
      fsyncIntervalMs: 100,
      compactAfterBytes: 2 ** 40,
    });
    await store.open();
    let seq = 0;
    for (let i = 0; i < queued; i++) seq = store.append(submit(i));
    await durable(store, seq);
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    // Keep the loop busy with "traffic" so any pause shows up as delay.
    let ticks = 0;
    const traffic = setInterval(() => {
      ticks++;
      store.append({ type: 'gc', now: ticks });
    }, 1);
    // Baseline: the same traffic for a second without compaction.
    await new Promise((r) => setTimeout(r, 1000));
    const baseMax = h.max / 1e6;
    const baseP99 = h.percentile(99) / 1e6;
    h.reset();
    const t0 = performance.now();
    const r0 = performance.now();
    const rotation = store.compactNow();
    const syncPartMs = performance.now() - r0; // rotation + thread start, on the main thread
    await rotation;
    const compactMs = performance.now() - t0;
    clearInterval(traffic);
    h.disable();
    await store.close();
    return {
      queuedTasks: queued,
      compactionMs: Math.round(compactMs),
      mainThreadRotationMs: +syncPartMs.toFixed(2),
      eventLoopMaxDelayMs: +(h.max / 1e6).toFixed(2),
      eventLoopP99DelayMs: +(h.percentile(99) / 1e6).toFixed(2),
      baselineMaxDelayMs: +baseMax.toFixed(2),
      baselineP99DelayMs: +baseP99.toFixed(2),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `agents` pushes of 1,000 hashes (of a universe of 100,000) into a live core, through the store. */
async function federationLog(
  store: WalStore,
  agents: number,
): Promise<{ core: Core; pushes: number }> {
  const core = new Core({});
  store.setStateProvider(
    () => core.snapshot(),
    () => core.snapshotWeight(),
  );
  const universe = Array.from({ length: 100_000 }, (_, i) =>
    (i * 2654435761).toString(16).padStart(64, '0').slice(-64),
  );
  let seq = 0;
  for (let a = 0; a < agents; a++) {
    const packed = Buffer.allocUnsafe(32_000);
    for (let h = 0; h < 1000; h++)
      packed.write(universe[(a * 7919 + h * 104_729) % universe.length]!, h * 32, 'hex');
    const cmd: Command = {
      type: 'federation.push',
      now: 1_700_000_000_000 + a,
      federation: 'bench',
      by: 'key:1',
      summary: {
        agentId: `agent-${a}`,
        timestamp: new Date(1_700_000_000_000 + a).toISOString(),
        at: 1_700_000_000_000 + a,
        topicCounts: { memory: 3, tools: 1 },
        factHashes: [],
        packedHashes: packed,
      },
    };
    store.prepare(cmd);
    core.apply(cmd);
    for (const record of core.takeEffects().journal) seq = store.append(record);
    if ((a & 63) === 0) await new Promise((r) => setImmediate(r));
  }
  await durable(store, seq);
  return { core, pushes: agents };
}

/** One compaction of a federation log, from the state or (`replay`) through the compactor thread. */
async function federationCompaction(
  agents: number,
  replay: boolean,
): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-fedcompact-'));
  try {
    const store = new WalStore({
      mode: 'wal',
      dataDir: dir,
      fsync: 'always',
      fsyncIntervalMs: 100,
      compactAfterBytes: 2 ** 40,
      ...(replay ? { liveCompactionMaxWeight: -1 } : {}),
    });
    await store.open();
    const { core } = await federationLog(store, agents);
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const traffic = setInterval(() => store.append({ type: 'gc', now: 0 }), 1);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await store.compactNow();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(traffic);
    h.disable();
    await store.close();
    return {
      how: replay ? 'replay in a thread' : 'from the live state',
      pushes: agents,
      weight: core.snapshotWeight(),
      compactionMs: Math.round(ms),
      processCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      eventLoopMaxDelayMs: +(h.max / 1e6).toFixed(2),
      eventLoopP99DelayMs: +(h.percentile(99) / 1e6).toFixed(2),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function recoveryTime(records: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-recover-'));
  try {
    const w = new WalStore({
      mode: 'wal',
      dataDir: dir,
      fsync: 'interval',
      fsyncIntervalMs: 1000,
      segmentBytes: 256 * 1024 * 1024,
      compactAfterBytes: 2 ** 40,
    });
    await w.open();
    let seq = 0;
    for (let i = 0; i < records; i++) {
      seq = w.append(submit(i));
      if ((i & 8191) === 0) await new Promise((r) => setImmediate(r));
    }
    await durable(w, seq);
    await w.close();
    const t0 = performance.now();
    const r = new WalStore({ mode: 'wal', dataDir: dir, fsync: 'always', fsyncIntervalMs: 100 });
    const rec = await r.open();
    const readMs = performance.now() - t0;
    const core = Core.restore(rec.snapshot);
    let n = 0;
    for (const record of rec.records) {
      core.apply(record as Command);
      if ((++n & 1023) === 0) core.takeEffects();
    }
    core.apply({ type: 'recover', now: Date.now() });
    core.takeEffects();
    const totalMs = performance.now() - t0;
    await r.close();
    return {
      records: n,
      tasks: core.tasks.size,
      readMs: Math.round(readMs),
      totalRecoveryMs: Math.round(totalMs),
      recordsPerSec: Math.round(n / (totalMs / 1000)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const records = arg('--records', 1_000_000);
const queued = arg('--queued', 100_000);
const agents = arg('--agents', 5000);
console.log(
  JSON.stringify(
    {
      append: await appendThroughput(200_000),
      compaction: await compactionPause(queued),
      federationCompaction: [
        await federationCompaction(agents, false),
        await federationCompaction(agents, true),
      ],
      recovery: await recoveryTime(records),
    },
    null,
    2,
  ),
);
