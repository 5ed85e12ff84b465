import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { CloseCode } from '../../protocol/index.js';
import { hubProcess } from '../helpers/hub-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { metricValue } from './net-helpers.js';

const CONNECTIONS = 10_000;
const HANDSHAKE_TIMEOUT_MS = 3000;
const here = path.dirname(fileURLToPath(import.meta.url));

const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
const rssMb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const nofile = (pid: number): { soft: number; hard: number } => {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'))!;
  const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/);
  const n = (v: string | undefined): number => (v === 'unlimited' ? Infinity : Number(v));
  return { soft: n(soft), hard: n(hard) };
};

interface FloodReport {
  count: number;
  upgraded: number;
  closed: number;
  codes: Record<string, number>;
  errors: Record<string, number>;
  allUpgradedMs: number;
  allClosedMs: number;
}

/** The flood runs in its own process, its open-files limit raised to the hard limit. */
function flood(port: number): Promise<FloodReport> {
  const loader = process.execArgv.filter((a) => a.includes('typescript'));
  const node = [process.execPath, ...loader, path.join(here, 'flood-client.ts')]
    .map((a) => `'${a}'`)
    .join(' ');
  const child = spawn(
    'sh',
    ['-c', `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${node} ${port} ${CONNECTIONS} 60000`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as FloodReport)
        : reject(new Error(`flood exited ${code}: ${out}`)),
    ),
  );
}

for (const transport of ['uws', 'ws'] as const) {
  t.test(
    `${transport}: ${CONNECTIONS} connections that never say hello are all closed with 4008; fds return`,
    async (t) => {
      const dir = tempDir(t, 'sb-flood-');
      const config = path.join(dir, 'switchboard.json');
      writeFileSync(
        config,
        JSON.stringify({ server: { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS } }),
      );
      const h = await hubProcess(t, {
        preset: 'development',
        args: ['--config', config],
        env: {
          SWITCHBOARD_TRANSPORT: transport,
          SWITCHBOARD_LOG_LEVEL: 'info',
          SWITCHBOARD_LOG_PRETTY: 'false',
        },
      });
      const hub = await h.start();
      const { wsPort, httpPort } = h;
      const pid = hub.proc.pid!;
      const limit = nofile(pid);
      if (limit.soft < CONNECTIONS + 1000 && limit.hard >= CONNECTIONS + 1000) {
        // Raising the soft limit up to the hard one needs no privilege.
        execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit.hard}:${limit.hard}`]);
      }
      t.ok(
        nofile(pid).soft >= CONNECTIONS + 1000,
        `the hub may open ${CONNECTIONS} sockets (open files limit ${nofile(pid).soft}; raise it with ulimit -n)`,
      );
      await new Promise((r) => setTimeout(r, 500));
      const fdBefore = fdCount(pid);
      const rssBefore = rssMb(pid);
      let fdPeak = fdBefore;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => {
        fdPeak = Math.max(fdPeak, fdCount(pid));
        rssPeak = Math.max(rssPeak, rssMb(pid));
      }, 100);
      const report = await flood(wsPort);
      clearInterval(sampler);

      t.equal(report.upgraded, CONNECTIONS, 'every connection was accepted (upgraded)');
      t.same(
        report.codes,
        { [CloseCode.HANDSHAKE_TIMEOUT]: CONNECTIONS },
        'every one closed with 4008',
      );
      t.ok(report.allClosedMs >= HANDSHAKE_TIMEOUT_MS, 'not before the timeout');
      // How many are open at once depends on how fast they connect (a loaded machine spreads them).
      t.ok(fdPeak >= fdBefore + 1000, `the hub really held many at once (peak ${fdPeak} fds)`);

      let fdAfter = fdCount(pid);
      for (let i = 0; i < 100 && fdAfter > fdBefore; i++) {
        await new Promise((r) => setTimeout(r, 100));
        fdAfter = fdCount(pid);
      }
      t.ok(
        fdAfter <= fdBefore,
        `file descriptors back to the baseline (${fdBefore} -> ${fdPeak} -> ${fdAfter})`,
      );
      const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
      t.equal(
        metricValue(metrics, 'switchboard_limit_hits_total', 'limit="handshake_timeout"'),
        CONNECTIONS,
      );
      t.match(
        hub.output(),
        `"transport":"${transport}"`,
        `the hub runs the ${transport} transport`,
      );
      const health = await fetch(`http://127.0.0.1:${httpPort}/health`);
      t.equal(health.status, 200, 'the hub still serves');
      const rssAfter = rssMb(pid);
      // The hub hands freed memory back after idleMemoryReleaseMs (10 s) of quiet: reported, not asserted.
      await new Promise((r) => setTimeout(r, 11_500));
      const rssSettled = rssMb(pid);
      t.comment(
        `flood (${transport}): ${CONNECTIONS} connections, all upgraded after ${report.allUpgradedMs} ms, all closed after ` +
          `${report.allClosedMs} ms (handshake timeout ${HANDSHAKE_TIMEOUT_MS} ms); fds ${fdBefore} -> ${fdPeak} -> ${fdAfter}; ` +
          `RSS ${rssBefore.toFixed(1)} MB -> peak ${rssPeak.toFixed(1)} MB -> ${rssAfter.toFixed(1)} MB after -> ${rssSettled.toFixed(1)} MB settled`,
      );
    },
  );
}
