import { readFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';
import { probeTcp } from './net.js';
import type { MachineInfo } from './report-types.js';

const PACKAGES = ['bullmq', 'nats', 'uWebSockets.js', 'ioredis', 'msgpackr', 'ws'];

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(
      readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8'),
    ) as {
      name?: string;
      version?: string;
    };
    return pkg.name && pkg.name !== name
      ? `${pkg.name}@${pkg.version}`
      : (pkg.version ?? 'unknown');
  } catch {
    return 'not installed';
  }
}

async function redisVersion(): Promise<string> {
  const down = await probeTcp('127.0.0.1', 6379);
  if (down) return `unreachable: ${down}`;
  const { Redis } = await import('ioredis');
  const client = new Redis({
    host: '127.0.0.1',
    port: 6379,
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
  });
  try {
    await client.connect();
    const info = await client.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } catch (err) {
    return `unknown (${(err as Error).message})`;
  } finally {
    client.disconnect();
  }
}

async function natsVersion(): Promise<string> {
  const down = await probeTcp('127.0.0.1', 4222);
  if (down) return `unreachable: ${down}`;
  const { connect } = await import('nats');
  try {
    const nc = await connect({ servers: '127.0.0.1:4222', timeout: 2000 });
    const version = nc.info?.version ?? 'unknown';
    const js = nc.info?.jetstream ? 'JetStream enabled' : 'JetStream DISABLED';
    await nc.close();
    return `${version} (${js})`;
  } catch (err) {
    return `unknown (${(err as Error).message})`;
  }
}

/** The machine and software the figures were measured on. */
export async function machineInfo(): Promise<MachineInfo> {
  const cpu = cpus();
  const packages: Record<string, string> = {};
  for (const p of PACKAGES) packages[p] = packageVersion(p);
  const [redis, nats] = await Promise.all([redisVersion(), natsVersion()]);
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    packages,
    servers: { redis, 'nats-server': nats },
  };
}
