/**
 * Takeover time against state size, in one process against the Redis on 127.0.0.1:6379 (its
 * own key prefix, deleted after): what a successor hub does between taking the lease and
 * serving, for N queued tasks held in a snapshot:
 *  - cold, format 1 (msgpack maps, before): read the chunks, decode, Core.restore;
 *  - cold, format 2 (msgpack records, now): the same with the current codec;
 *  - warm (an edge's standby, redis-standby.ts, now): the standby already holds the core;
 *    the store checks the log goes on from it and hands it over.
 * Runs alternate the three, `--runs` times each size; medians. CPU ms is process.cpuUsage.
 *
 *   npx tsc -p . && node dist/bench/redis-takeover.js [--tasks 50000,100000,200000] [--runs 3]
 */
import { randomBytes } from 'node:crypto';
import { Packr } from 'msgpackr';
import { Redis } from 'ioredis';
import { Core, type Command } from '../server/core/index.js';
import { RedisStandby, RedisStore, allRedisKeys, redisKeys } from '../server/store/index.js';
import { encodeSnapshot } from '../server/store/redis/redis-snapshot-codec.js';
import { writeSnapshot } from '../server/store/redis/redis-snapshot.js';
import { stopCompactionThread, stopLeaseThread } from '../server/store/index.js';

const URL = process.env.SWITCHBOARD_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const sizes = arg('--tasks', '50000,100000,200000').split(',').map(Number);
const runs = Number(arg('--runs', '3'));

function bigCore(n: number): Core {
  const core = new Core();
  for (let i = 0; i < n; i += 1000) {
    const tasks = [];
    for (let k = i; k < Math.min(n, i + 1000); k++)
      tasks.push({
        id: `t-${k.toString(36)}`,
        spec: { queue: `big-${k % 4}`, payload: { n: k, body: 'x'.repeat(20) } },
      });
    core.apply({ type: 'task.submit', now: 1_700_000_000_000 + i, tasks } as Command);
    core.takeEffects();
  }
  return core;
}

type Kind = 'cold-v1' | 'cold-v2' | 'warm';

async function once(
  prefix: string,
  bytes: Buffer,
  kind: Kind,
): Promise<{ ms: number; cpu: number }> {
  // Write the state as the snapshot, under a lease of our own, then let it go.
  const writer = new RedisStore({ redis: URL, prefix, leaseMs: 5000 });
  await writer.open();
  await writeSnapshot(writer.connection!, writer.keys, writer.epoch, undefined, bytes, 0);
  await writer.close();
  let standby: RedisStandby | undefined;
  if (kind === 'warm') {
    standby = new RedisStandby({ redis: URL, keys: redisKeys(prefix), hubId: 'bench' });
    standby.start();
    while (!standby.loaded) await new Promise((r) => setTimeout(r, 20));
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const store = new RedisStore({
    redis: URL,
    prefix,
    leaseMs: 5000,
    ...(standby ? { standby } : {}),
  });
  const recovered = await store.open();
  const core = recovered.core ?? Core.restore(recovered.snapshot);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (core.tasks.size === 0) throw new Error('nothing loaded');
  await store.close();
  return { ms, cpu: (c.user + c.system) / 1000 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const admin = new Redis(URL);
  const rows: string[] = [];
  rows.push(
    '| queued tasks | snapshot MB (format 1 / 2) | cold, format 1 | cold, format 2 | warm standby |',
  );
  rows.push('|---|---|---|---|---|');
  for (const n of sizes) {
    const core = bigCore(n);
    const snap = core.snapshot();
    const v1 = Buffer.from(new Packr({ useRecords: false, moreTypes: false }).pack(snap));
    const v2 = encodeSnapshot(snap);
    const got: Record<Kind, { ms: number[]; cpu: number[] }> = {
      'cold-v1': { ms: [], cpu: [] },
      'cold-v2': { ms: [], cpu: [] },
      warm: { ms: [], cpu: [] },
    };
    for (let r = 0; r < runs; r++)
      for (const kind of ['cold-v1', 'cold-v2', 'warm'] as Kind[]) {
        const prefix = `bench-takeover-${randomBytes(4).toString('hex')}`;
        try {
          const x = await once(prefix, kind === 'cold-v1' ? v1 : v2, kind);
          got[kind].ms.push(x.ms);
          got[kind].cpu.push(x.cpu);
        } finally {
          await admin.del(...allRedisKeys(redisKeys(prefix)));
        }
      }
    const cell = (k: Kind): string =>
      `${Math.round(median(got[k].ms))} ms (CPU ${Math.round(median(got[k].cpu))} ms)`;
    rows.push(
      `| ${n.toLocaleString('en')} | ${(v1.length / 1e6).toFixed(1)} / ${(v2.length / 1e6).toFixed(1)} | ${cell('cold-v1')} | ${cell('cold-v2')} | ${cell('warm')} |`,
    );
    console.error(rows.at(-1));
  }
  console.log(rows.join('\n'));
  admin.disconnect();
  await Promise.all([stopCompactionThread(), stopLeaseThread()]);
}

void main();
