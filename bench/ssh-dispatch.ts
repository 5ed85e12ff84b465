/**
 * SSH node benchmark: time to connect to a loopback node (TCP + key exchange + auth + first
 * command) and to dispatch a command on a warm pooled connection, against a real OpenSSH.
 *
 *   npx tsc -p . && node dist/bench/ssh-dispatch.js [--runs 20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KnownHosts, loadOrCreateHubKey, SshPool } from '../server/nodes/index.js';
import { sshdAvailable, TestSshd } from './lib/sshd.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  if (!sshdAvailable()) {
    console.log('SKIPPED: /usr/sbin/sshd missing (apt-get install openssh-server)');
    return;
  }
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 20);
  const sshd = await TestSshd.start();
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-sshbench-'));
  try {
    const key = loadOrCreateHubKey(dir);
    sshd.authorize(key.publicKey);
    const known = new KnownHosts(path.join(dir, 'known_hosts'), true);
    const target = { nodeId: 'bench', host: '127.0.0.1', port: sshd.port, username: sshd.user };
    const opts = {
      privateKey: key.privateKey,
      knownHosts: known,
      connectTimeoutMs: 5000,
      commandTimeoutMs: 10_000,
      idleTimeoutMs: 60_000,
      keepaliveIntervalMs: 15_000,
      maxSessionsPerNode: 8,
    };
    const cold: number[] = [];
    for (let i = 0; i < runs; i++) {
      const pool = new SshPool(opts);
      const t0 = performance.now();
      await pool.exec(target, 'true');
      cold.push(performance.now() - t0);
      await pool.close();
    }
    const pool = new SshPool(opts);
    await pool.exec(target, 'true');
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await pool.exec(target, 'echo hello');
      warm.push(performance.now() - t0);
    }
    const parallel0 = performance.now();
    await Promise.all(Array.from({ length: 40 }, () => pool.exec(target, 'true')));
    const parallelMs = performance.now() - parallel0;
    const stats = pool.stats();
    await pool.close();
    const r = {
      connectAndFirstCommandMs: {
        median: +median(cold).toFixed(1),
        min: +Math.min(...cold).toFixed(1),
        max: +Math.max(...cold).toFixed(1),
      },
      warmDispatchMs: {
        median: +median(warm).toFixed(1),
        min: +Math.min(...warm).toFixed(1),
        max: +Math.max(...warm).toFixed(1),
      },
      fortyParallelCommandsMs: +parallelMs.toFixed(1),
      pool: stats,
      runs,
    };
    console.log(JSON.stringify(r, null, 2));
  } finally {
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
