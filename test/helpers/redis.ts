/**
 * Redis for tests: a connection to the shared instance on 127.0.0.1:6379 with a cluster
 * prefix of the test's own (its keys are deleted at teardown; never flush the shared
 * instance), and private redis-server processes on free ports for tests that stop Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { allRedisKeys, redisKeys, type RedisKeys } from '../../server/store/index.js';
import { freePort } from './free-port.js';
import { tempDir } from './temp-dir.js';
import type { Teardown } from './teardown.js';

export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/** A prefix no other test uses, and its keys. */
export function testCluster(tag = 'test'): RedisKeys {
  return redisKeys(`${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** A plain connection (no retries forever) that quits at teardown. */
export function redisClient(t: Teardown, url = SHARED_REDIS_URL): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', () => {});
  t.teardown(() => redis.quit().catch(() => redis.disconnect()));
  return redis;
}

/** Delete a cluster's keys from the shared Redis at teardown. */
export function dropAtTeardown(t: Teardown, redis: Redis, keys: RedisKeys): void {
  t.teardown(async () => {
    if (redis.status === 'ready') await redis.del(...allRedisKeys(keys));
  });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** SIGKILL: what the server had fsynced is all that survives. */
  kill(): Promise<void>;
  /** Start again on the same port and dir (it reloads its AOF). */
  start(): Promise<void>;
}

/**
 * A private redis-server on a free port, persisting to a temp dir with `appendonly yes` and
 * `appendfsync always` (every acknowledged write is on disk before Redis answers).
 */
export async function startRedisServer(t: Teardown, extra: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = tempDir(t, 'sb-redis-');
  let proc: ChildProcess | undefined;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--maxmemory-policy',
    'noeviction',
    ...extra,
  ];
  const waitUp = async (): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const probe = new Redis(port, '127.0.0.1', {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    throw new Error(`redis-server on port ${port} did not start`);
  };
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async kill() {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGKILL');
      });
      proc = undefined;
    },
    async start() {
      proc = spawn('redis-server', args, { stdio: 'ignore' });
      await waitUp();
    },
  };
  await server.start();
  t.teardown(() => server.kill());
  return server;
}
