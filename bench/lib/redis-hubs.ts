import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ServerChild } from './child-process.js';
import { startHub } from './hub.js';
import type { ServerUnderTest } from './load-scenario.js';
import { REDIS } from './peers.js';
import type { ScenarioContext } from './types.js';

/**
 * N hub processes on the Redis engine, one cluster (same Redis, a fresh key prefix per run,
 * so nothing a run before left is replayed). The first one started leads; each next one is
 * started once the one before answers, and counts as up when its /ready says it is an edge
 * that knows the leader. After the run the hubs stop (edges first, so none takes over) and
 * every key of the cluster (`{sb:<prefix>}*`) is deleted.
 */
export interface RedisHubsOptions {
  readonly hubs: number;
  /**
   * Where the workers connect; the producer always connects to the leader (hub 0).
   * 'round-robin': worker w to hub w mod N. 'edges': round-robin over hubs 1..N-1 only.
   */
  readonly workers: 'round-robin' | 'edges';
}

/**
 * The lease the bench hubs hold (SWITCHBOARD_REDIS_LEASE_MS). The engine's default (3 s) is
 * shorter than the leader's event loop stays blocked while it encodes a snapshot of ~100,000
 * retained tasks (the engine snapshots after 200,000 log records, i.e. inside the
 * throughput run): with it the leader is fenced mid-run and the run fails.
 */
export const BENCH_LEASE_MS = 30_000;

const REDIS_URL = `redis://${REDIS.host}:${REDIS.port}`;

export async function startRedisHubs(
  ctx: ScenarioContext,
  opts: RedisHubsOptions,
): Promise<ServerUnderTest> {
  if (opts.workers === 'edges' && opts.hubs < 2)
    throw new Error('workers on edges needs at least 2 hubs');
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const env = {
    SWITCHBOARD_REDIS_KEY_PREFIX: prefix,
    SWITCHBOARD_REDIS_LEASE_MS: String(BENCH_LEASE_MS),
  };
  const started: ServerUnderTest[] = [];
  const stopAll = async (): Promise<void> => {
    for (const hub of [...started].reverse()) await hub.child.stop();
    await deleteClusterKeys(prefix);
  };
  try {
    for (let i = 0; i < opts.hubs; i++) {
      const hub = await startHub(ctx, {
        preset: 'development',
        args: ['--redis-url', REDIS_URL],
        env: { ...env, SWITCHBOARD_REDIS_HUB_ID: `${prefix}-hub${i}` },
      });
      started.push(hub);
      await waitForRole(String(hub.peer.httpUrl), i === 0 ? 'leader' : 'edge');
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const urls = started.map((h) => String(h.peer.url));
  const workerHubs = opts.workers === 'edges' ? urls.slice(1) : urls;
  const leader = started[0]!;
  const child: ServerChild = {
    pid: leader.child.pid,
    ready: leader.child.ready,
    exited: () => started.some((h) => h.child.exited()),
    stop: stopAll,
  };
  return {
    child,
    pids: started.map((h) => h.child.pid),
    peer: { url: urls[0]!, workerUrls: workerHubs.join(','), httpUrl: String(leader.peer.httpUrl) },
    ...(leader.gcLog ? { gcLog: leader.gcLog } : {}),
  };
}

interface Health {
  role?: string;
  leader?: string | null;
}

/** Poll /health (and /ready for an edge) until the hub has the role, within 15 s. */
async function waitForRole(httpUrl: string, role: 'leader' | 'edge'): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const health = (await (await fetch(`${httpUrl}/health`)).json()) as Health;
      last = `role ${health.role ?? 'none'}`;
      if (health.role === role) {
        if (role === 'leader') return;
        if ((await fetch(`${httpUrl}/ready`)).status === 200 && health.leader) return;
        last = 'an edge that does not know the leader yet';
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `hub at ${httpUrl} is not ${role === 'leader' ? 'the leader' : 'an edge'}: ${last}`,
  );
}

/**
 * Delete `{sb:<prefix>}*` (SCAN, not KEYS: the Redis may be shared). First wait (up to 10 s)
 * until Redis has let go of every connection of the cluster's hubs (named after their hub
 * ids, which start with the prefix): a leader killed in the middle of its last snapshot
 * leaves commands that Redis still runs after the process is gone.
 */
export async function deleteClusterKeys(prefix: string): Promise<void> {
  const redis = new Redis({ host: REDIS.host, port: REDIS.port, lazyConnect: true });
  try {
    await redis.connect();
    for (let waited = 0; waited < 10_000; waited += 100) {
      const clients = String(await redis.client('LIST'));
      if (!clients.includes(`name=switchboard:${prefix}-`)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{sb:${prefix}}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
