/**
 * Workspace benchmark (docs/benchmarks.md, "Workspaces"), against a real OpenSSH node on
 * loopback and a hub process (development preset, WAL store):
 *
 * - create → running with the process provider (its own sshd, plus one service with a tcp
 *   check), measured from the POST to the status `running`, one workspace at a time;
 * - port allocation: 100 creates at once through the REST API (each answer means the port
 *   is allocated and the record durable), on a node that is not reached, so the figure is
 *   the hub's and not sshd's; and `PortPool.allocate` in process over a 100-port range;
 * - API latency with 10 concurrent clients reading workspaces, services and /status.
 *
 *   npx tsc -p . && node dist/bench/workspaces.js [--runs 10] [--seconds 10]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PortPool } from '../server/core/port-pool.js';
import { loadOrCreateHubKey } from '../server/nodes/index.js';
import { freePort } from './lib/net.js';
import { REPO_ROOT } from './lib/paths.js';
import { sshdAvailable, TestSshd } from './lib/sshd.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;

/** A run of `n` consecutive loopback ports that are free now. */
async function freeRange(n: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    let ok = true;
    for (let p = base; p < base + n && ok; p++) ok = await free(p);
    if (ok) return base;
  }
}

async function main(): Promise<void> {
  if (!sshdAvailable()) {
    console.log('SKIPPED: /usr/sbin/sshd missing (apt-get install openssh-server)');
    return;
  }
  const runs = arg('--runs', 10);
  const seconds = arg('--seconds', 10);
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-wsbench-'));
  const sshd = await TestSshd.start();
  const dataDir = path.join(dir, 'data');
  // The hub's own key, made before it starts, so the node trusts it from the first command.
  sshd.authorize(loadOrCreateHubKey(dataDir).publicKey);
  const base = await freeRange(110);
  writeFileSync(
    path.join(dir, 'hub.yaml'),
    [
      'nodes:',
      '  ssh: { trustOnFirstUse: true, connectTimeoutMs: 2000 }',
      'workspaces:',
      `  sshPorts: { from: ${base}, to: ${base + 99} }`,
      '  healthTimeoutMs: 30000',
      '',
    ].join('\n'),
  );
  const httpPort = await freePort();
  const hub = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'dist', 'server', 'cli', 'main.js'),
      'start',
      '--preset',
      'development',
      '--store',
      'wal',
      '--data-dir',
      dataDir,
      '--config',
      path.join(dir, 'hub.yaml'),
      '--port',
      String(await freePort()),
      '--http-port',
      String(httpPort),
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'warn' },
    },
  );
  const api = `http://127.0.0.1:${httpPort}`;
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${api}${p}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  try {
    for (let i = 0; ; i++) {
      const ready = await fetch(`${api}/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (i > 300) throw new Error('the hub did not become ready');
      await new Promise((r) => setTimeout(r, 50));
    }
    const wsDir = path.join(dir, 'workspaces');
    await call('POST', '/api/v1/nodes', {
      name: 'box',
      address: '127.0.0.1',
      sshPort: sshd.port,
      sshUser: sshd.user,
      providers: ['process'],
      metadata: { workspaceDir: wsDir, workspaceListen: '127.0.0.1' },
    });
    // Nothing listens at this one: creates on it are answered, then fail and are removed.
    await call('POST', '/api/v1/nodes', {
      name: 'void',
      address: '127.0.0.1',
      sshPort: await freePort(),
      sshUser: sshd.user,
      providers: ['process'],
    });
    const key = loadOrCreateHubKey(path.join(dir, 'userkey')).publicKey;
    await call('POST', '/api/v1/users/register-github', {
      username: 'bench',
      githubId: 1,
      email: 'bench@example.com',
      sshPublicKey: key,
    });
    const until = async (id: string, status: string) => {
      for (;;) {
        const w = await call('GET', `/api/v1/workspaces/${id}`);
        if (w.json.status === status) return;
        if (w.json.status === 'failed') throw new Error(`${id} failed: ${w.json.lastError}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };

    // ---------------------------------------------------------------- create → running
    const bare: number[] = [];
    const withService: number[] = [];
    for (let i = 0; i < runs * 2; i++) {
      const svc = i % 2 === 1;
      const port = base + 100 + (i % 10);
      const t0 = performance.now();
      const c = await call('POST', '/api/v1/workspaces', {
        user: 'bench',
        name: `run${i}`,
        provider: 'process',
        node: 'box',
        ...(svc
          ? {
              services: [
                {
                  name: 'echo',
                  port,
                  command: `exec "${process.execPath}" -e "require('net').createServer(s=>s.on('error',()=>{}).end()).listen(${port},'127.0.0.1')"`,
                },
              ],
            }
          : {}),
      });
      if (c.status !== 201) throw new Error(JSON.stringify(c.json));
      await until(c.json.id as string, 'running');
      (svc ? withService : bare).push(performance.now() - t0);
      await call('DELETE', `/api/v1/workspaces/${c.json.id}`);
    }

    // ---------------------------------------------------------------- port allocation
    const answers: number[] = [];
    const t0 = performance.now();
    const created = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const s = performance.now();
        const c = await call('POST', '/api/v1/workspaces', {
          user: 'bench',
          name: `alloc${i}`,
          provider: 'process',
          node: 'void',
        });
        answers.push(performance.now() - s);
        if (c.status !== 201) throw new Error(JSON.stringify(c.json));
        return c.json.sshPort as number;
      }),
    );
    const wall = performance.now() - t0;
    const distinct = new Set(created).size;
    const pool = new PortPool();
    const range = { from: 2200, to: 2299 };
    const inProcess: number[] = [];
    for (let round = 0; round < 1000; round++) {
      for (let i = 0; i < 100; i++) {
        const s = performance.now();
        pool.allocate(range, `w${i}`);
        inProcess.push(performance.now() - s);
      }
      for (let p = range.from; p <= range.to; p++) pool.release(p, `w${p - range.from}`);
    }
    // Their node never answered: removing it lets their deletes go without any step.
    await call('DELETE', '/api/v1/nodes/void');
    const { json: list } = await call('GET', '/api/v1/workspaces');
    await Promise.all(
      (list.workspaces as { id: string }[]).map((w) =>
        call('DELETE', `/api/v1/workspaces/${w.id}`),
      ),
    );

    // ---------------------------------------------------------------- API p99, 10 clients
    const ws = await call('POST', '/api/v1/workspaces', {
      user: 'bench',
      name: 'api',
      provider: 'process',
      node: 'box',
    });
    await until(ws.json.id as string, 'running');
    const paths = [
      `/api/v1/workspaces/${ws.json.id}`,
      '/api/v1/workspaces',
      `/api/v1/workspaces/${ws.json.id}/services`,
      '/api/v1/status',
    ];
    const lat: number[] = [];
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: 10 }, async (_, c) => {
        for (let i = c; performance.now() < end; i++) {
          const s = performance.now();
          const r = await fetch(`${api}${paths[i % paths.length]}`);
          await r.arrayBuffer();
          if (r.status !== 200) throw new Error(`${r.status}`);
          lat.push(performance.now() - s);
        }
      }),
    );
    await call('DELETE', `/api/v1/workspaces/${ws.json.id}`);

    console.log(
      [
        `create → running, process provider (${runs} runs): median ${ms(pct(bare, 50))}, p90 ${ms(pct(bare, 90))}`,
        `create → running with one service (tcp check): median ${ms(pct(withService, 50))}, p90 ${ms(pct(withService, 90))}`,
        `100 concurrent creates: ${distinct} distinct ports; answer p50 ${ms(pct(answers, 50))}, p99 ${ms(pct(answers, 99))}, all in ${ms(wall)}`,
        `PortPool.allocate, 100-port range filling up: p50 ${(pct(inProcess, 50) * 1000).toFixed(1)} µs, p99 ${(pct(inProcess, 99) * 1000).toFixed(1)} µs`,
        `API, 10 clients for ${seconds} s: ${(lat.length / seconds).toFixed(0)} req/s, p50 ${ms(pct(lat, 50))}, p99 ${ms(pct(lat, 99))}`,
      ].join('\n'),
    );
  } finally {
    hub.kill('SIGTERM');
    await new Promise((r) => hub.once('exit', r));
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
