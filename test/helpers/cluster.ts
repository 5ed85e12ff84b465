import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { hubProcess, type HubChild, type HubProcess } from './hub-process.js';
import type { Teardown } from './teardown.js';

/** Several hub processes on one Redis and one fresh key prefix: one cluster per test. */
export interface TestCluster {
  prefix: string;
  hubs: HubProcess[];
  children: (HubChild | undefined)[];
  redis: Redis;
  /** Start hub i (again); resolves once its /ready says ready (within 15 s unless told). */
  start(i: number, readyTimeoutMs?: number): Promise<HubChild>;
  /** GET /health of hub i: its role and the leader it knows. */
  health(i: number): Promise<{ role?: string; hubId?: string; leader?: string | null }>;
  /** The index of the hub that leads now, polled until one does. */
  leader(timeoutMs?: number): Promise<number>;
}

export const REDIS_URL = 'redis://127.0.0.1:6379';

export async function startCluster(
  t: Teardown,
  n: number,
  env: Record<string, string> = {},
  redisUrl = REDIS_URL,
  /** How the hubs find Redis: `--redis-url redisUrl` unless given (e.g. sentinels in env). */
  redisArgs: string[] = ['--redis-url', redisUrl],
): Promise<TestCluster> {
  const prefix = `sbtest-${randomBytes(4).toString('hex')}`;
  const children: (HubChild | undefined)[] = new Array(n).fill(undefined);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  const hubs: HubProcess[] = [];
  for (let i = 0; i < n; i++) {
    hubs.push(
      await hubProcess(t, {
        preset: 'development',
        args: redisArgs,
        env: {
          SWITCHBOARD_REDIS_KEY_PREFIX: prefix,
          SWITCHBOARD_REDIS_LEASE_MS: '1000',
          SWITCHBOARD_REDIS_HUB_ID: `hub${i}`,
          SWITCHBOARD_DRAIN_TIMEOUT_MS: '0',
          ...env,
        },
      }),
    );
  }
  t.teardown(async () => {
    // A private Redis may be a replica by now (a Sentinel failover): it goes with the test.
    if (redis.status === 'ready') {
      const keys = await redis.keys(`{sb:${prefix}}*`).catch(() => []);
      if (keys.length) await redis.del(...keys).catch(() => undefined);
    }
    redis.disconnect();
  });
  // Registered last, so it runs first (teardowns run in reverse): before the hub helper's
  // SIGKILL and the key cleanup. A hub stopped with SIGTERM exits by itself, and its
  // coverage and last log lines are written.
  t.teardown(async () => {
    await Promise.all(
      children.map(async (c) => {
        if (!c || c.proc.exitCode !== null || c.proc.signalCode !== null) return;
        c.proc.kill('SIGCONT');
        c.proc.kill('SIGTERM');
        const timer = setTimeout(() => c.proc.kill('SIGKILL'), 5000);
        await c.exited;
        clearTimeout(timer);
      }),
    );
  });
  const cluster: TestCluster = {
    prefix,
    hubs,
    children,
    redis,
    async start(i, readyTimeoutMs) {
      const c = await hubs[i]!.start({}, readyTimeoutMs);
      children[i] = c;
      return c;
    },
    async health(i) {
      const res = await fetch(`${hubs[i]!.httpUrl}/health`, { signal: AbortSignal.timeout(500) });
      return (await res.json()) as { role?: string; hubId?: string; leader?: string | null };
    },
    async leader(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (let i = 0; i < n; i++) {
          if (!children[i] || children[i]!.proc.exitCode !== null) continue;
          try {
            const h = await cluster.health(i);
            if (h.role === 'leader') return i;
          } catch {
            // not listening (switching roles)
          }
        }
        if (Date.now() > deadline) throw new Error('no hub leads');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
  return cluster;
}
