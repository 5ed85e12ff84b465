import { execFile, execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { Producer, UnrecoverableError, Worker } from '../../index.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub } from '../helpers/hub.js';
import { hubProcess } from '../helpers/hub-process.js';
import { hasTool, skipWithout } from '../helpers/requires.js';
import type { Teardown } from '../helpers/teardown.js';

const run = promisify(execFile);
const MONITOR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/client/monitor/main.js',
);
const hasTmux = hasTool('tmux');
const tmuxOnly = skipWithout('tmux');

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}
function screen(session: string): string {
  return tmux('capture-pane', '-p', '-t', session);
}
async function waitFor(session: string, re: RegExp, ms = 8000): Promise<string> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    try {
      last = screen(session);
    } catch {
      last = '(session gone)';
    }
    if (re.test(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`screen never matched ${re}:\n${last}`);
}
/** Best effort: when the last session ends, the tmux server exits and kill-session fails. */
function killSession(session: string): void {
  spawnSync('tmux', ['kill-session', '-t', session]);
}
/** The monitor for `url` in a detached tmux session 120 columns wide, killed when `t` ends. */
function monitorSession(t: Teardown, session: string, url: string, rows: number): string {
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '120',
    '-y',
    String(rows),
    `${process.execPath} ${MONITOR} --url ${url}`,
  );
  t.teardown(() => killSession(session));
  return session;
}
function alive(session: string): boolean {
  return spawnSync('tmux', ['has-session', '-t', session]).status === 0;
}

// Keep one session alive for the whole file: when a tmux server's last session ends the
// server exits, and a test starting the next session at that moment races it.
if (hasTmux) {
  const keeper = `sbmon-keep-${process.pid}`;
  spawnSync('tmux', ['new-session', '-d', '-s', keeper, 'sleep 900']);
  t.teardown(() => killSession(keeper));
}

async function traffic(wsUrl: string) {
  const worker = new Worker(
    { url: wsUrl, queues: ['alpha', 'beta'], concurrency: 2, workerId: 'w-alpha' },
    async (task) => {
      if ((task.payload as { fail?: boolean }).fail) throw new UnrecoverableError('disk on fire');
      await new Promise((r) => setTimeout(r, 5));
      return 'ok';
    },
  );
  await worker.start();
  const producer = new Producer({ url: wsUrl });
  const { ids } = await producer.submitMany([
    ...Array.from({ length: 20 }, () => ({ queue: 'alpha', payload: {} })),
    { queue: 'beta', payload: { fail: true } },
    ...Array.from({ length: 5 }, () => ({ queue: 'gamma', payload: {} })),
    ...Array.from({ length: 2 }, () => ({
      queue: 'gamma',
      payload: {},
      priority: 'critical' as const,
    })),
  ]);
  await Promise.all(
    ids.filter((_, i) => i <= 20).map((id) => producer.result(id).catch(() => undefined)),
  );
  return {
    producer,
    async close() {
      await producer.close();
      await worker.close({ timeoutMs: 100 });
    },
  };
}

t.test(
  'the live monitor under a real pseudo-terminal shows what the hub holds; keys switch views; q quits',
  tmuxOnly,
  async (t) => {
    const th = await startTestHub();
    t.teardown(th.stop);
    const load = await traffic(th.wsUrl);
    t.teardown(load.close);
    const session = monitorSession(t, `sbmon-${process.pid}`, th.httpUrl, 40);
    const overview = await waitFor(session, /disk on fire/);
    const gamma = th.hub.core.queue('gamma');
    t.match(
      overview,
      new RegExp(
        `gamma\\s+active\\s+${gamma.depth[0]}\\s+0\\s+${gamma.depth[2]}\\s+0\\s+0\\s+0\\s+0\\s+0\\s+0`,
      ),
      'gamma: 2 critical, 5 normal, no workers',
    );
    t.match(
      overview,
      /alpha\s+active\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+1/,
      'alpha drained, served by one worker',
    );
    t.match(overview, /beta\s+active(\s+0){7}\s+1\s+1/, 'beta: one dead task');
    t.match(
      overview,
      /w-alpha\s+idle\s+alpha,beta\s+0\/2\s+20\s+1/,
      'the worker row: state, queues, slots, done, failed',
    );
    t.match(
      overview,
      /dead\s+\S+\s+beta\s+1\s+HANDLER_ERROR: disk on fire/,
      'the failure and its error',
    );
    t.match(
      overview,
      new RegExp(
        `totals: ${th.hub.stats.submitted} submitted, ${th.hub.stats.completed} completed`,
      ),
    );
    t.match(overview, /\[1\] overview .* q quit/, 'the footer shows the keys');

    tmux('send-keys', '-t', session, '3');
    const workers = await waitFor(session, /WORKERS \(1\) — Enter/);
    t.notMatch(workers, /RECENT FAILURES/, 'the workers view replaced the overview');
    tmux('send-keys', '-t', session, '4');
    await waitFor(session, /FAILURES \(1\) — Enter: task detail/);
    tmux('send-keys', '-t', session, 'Enter');
    const detail = await waitFor(session, /"state": "dead"/);
    t.match(detail, /"queue": "beta"/, 'Enter opens the failed task');
    // One key at a time, each once the screen shows the last one took effect, as a person
    // types: keys sent back to back can reach the monitor in one read under load, and a
    // terminal reads Esc followed by '1' in one read as Alt+1.
    tmux('send-keys', '-t', session, 'Escape');
    await waitFor(session, /FAILURES \(1\) — Enter: task detail/);
    tmux('send-keys', '-t', session, '1');
    await waitFor(session, /RECENT FAILURES/);
    tmux('send-keys', '-t', session, '/');
    await waitFor(session, /filter by queue:/);
    tmux('send-keys', '-t', session, '-l', 'gam');
    await waitFor(session, /filter by queue: gam/);
    tmux('send-keys', '-t', session, 'Enter');
    const filtered = await waitFor(session, /QUEUES \(1\)/);
    t.match(filtered, /gamma/);
    t.notMatch(filtered, /alpha\s+active/, 'filtered by queue');
    tmux('send-keys', '-t', session, 'p');
    await waitFor(session, /PAUSED/);
    tmux('send-keys', '-t', session, 'q');
    for (let i = 0; i < 50 && alive(session); i++) await new Promise((r) => setTimeout(r, 100));
    t.notOk(alive(session), 'q quits');
  },
);

t.test('--once and --json match the hub state', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const load = await traffic(th.wsUrl);
  t.teardown(load.close);
  const made = await fetch(`${th.httpUrl}/api/v1/schedules`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'nightly',
      cron: '0 3 * * *',
      tz: 'Europe/Berlin',
      task: { queue: 'gamma' },
    }),
  });
  t.equal(made.status, 201);
  const once = await run(process.execPath, [MONITOR, '--url', th.httpUrl, '--once']);
  t.match(once.stdout, /^switchboard test @ /);
  t.match(
    once.stdout,
    /SCHEDULES\nSCHEDULE\s+STATE\s+WHEN\s+QUEUE\s+NEXT\s+LAST\s+FIRES\s+SKIPPED\nnightly\s+active\s+0 3 \* \* \* \(Europe\/Berlin\)\s+gamma\s+in \d+[hms]\S*\s+-\s+0\s+0/,
    'the schedule, its timing and its next fire',
  );
  t.match(once.stdout, /gamma\s+active\s+2\s+0\s+5/);
  t.notOk(once.stdout.includes('\u001b['), 'plain text, no escape codes');
  const json = JSON.parse(
    (await run(process.execPath, [MONITOR, '--url', th.httpUrl, '--json'])).stdout,
  ) as {
    queues: { name: string; queued: number; dead: number }[];
    workers: { id: string; completed: number }[];
    stats: { totals: { completed: number } };
  };
  t.equal(json.queues.find((q) => q.name === 'gamma')!.queued, th.hub.core.queue('gamma').runnable);
  t.equal(json.queues.find((q) => q.name === 'beta')!.dead, 1);
  t.equal(json.workers[0]!.id, 'w-alpha');
  t.equal(json.workers[0]!.completed, 20);
  t.equal(json.stats.totals.completed, th.hub.stats.completed);
});

t.test('--once lists the flow parents waiting on their children', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const empty = await run(process.execPath, [MONITOR, '--url', th.httpUrl, '--once']);
  t.match(empty.stdout, /WAITING PARENTS \(0\)\n\(no flow waiting on children\)/);
  // `fetch` has a worker, `mail` none: each report waits on its summary.
  const worker = new Worker({ url: th.wsUrl, queues: ['fetch'], concurrency: 4 }, async () => 1);
  await worker.start();
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await producer.close();
    await worker.close({ timeoutMs: 100 });
  });
  const flows = [];
  for (let i = 0; i < 2; i++)
    flows.push(
      await producer.submitFlow({
        queue: 'reports',
        children: [
          { queue: 'fetch', name: 'sales' },
          { queue: 'fetch', name: 'costs' },
          { queue: 'mail', name: 'summary' },
        ],
      }),
    );
  const fetched = flows.flatMap((f) => f.tree.children.slice(0, 2).map((c) => c.id));
  await Promise.all(fetched.map((id) => producer.result(id)));
  const once = await run(process.execPath, [MONITOR, '--url', th.httpUrl, '--once']);
  t.match(once.stdout, /2 waiting on children/, 'the header counts them');
  t.match(once.stdout, /QUEUE\s+STATE\s+CRIT\s+HIGH\s+NORM\s+LOW\s+DELAYED\s+WAITING/);
  t.match(once.stdout, /\nreports\s+active\s+0\s+0\s+0\s+0\s+0\s+2\s/, 'a WAITING column');
  t.match(once.stdout, /WAITING PARENTS \(2\)\nPARENT\s+QUEUE\s+CHILDREN\s+WAITING\s+WAITING ON\n/);
  for (const f of flows)
    t.match(
      once.stdout,
      new RegExp(`${f.id}\\s+reports\\s+2/3 done\\s+\\d+s\\s+summary \\(mail, queued\\)`),
      `${f.id}: two of three done, waiting on its summary`,
    );
  const json = JSON.parse(
    (await run(process.execPath, [MONITOR, '--url', th.httpUrl, '--json'])).stdout,
  ) as { waitingTotal: number; waitingParents: { id: string; done: number }[] };
  t.equal(json.waitingTotal, 2);
  t.same(
    json.waitingParents.map((p) => [p.id, p.done]),
    flows.map((f) => [f.id, 2]),
  );
});

t.test('a wrong URL or a bad token: one line and a non-zero exit, no stack trace', async (t) => {
  const port = await freePort();
  const bad = await run(process.execPath, [
    MONITOR,
    '--url',
    `http://127.0.0.1:${port}`,
    '--once',
  ]).catch((e: { code: number; stderr: string }) => e);
  t.equal((bad as { code: number }).code, 3);
  t.match(
    (bad as { stderr: string }).stderr,
    /^switchboard monitor: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\n$/,
  );
  const th = await startTestHub({
    auth: { enabled: true, secret: 'monitor-secret-monitor-secret-00001' },
  });
  t.teardown(th.stop);
  const denied = await run(process.execPath, [
    MONITOR,
    '--url',
    th.httpUrl,
    '--token',
    'nope',
    '--once',
  ]).catch((e: { code: number; stderr: string }) => e);
  t.equal((denied as { code: number }).code, 4);
  t.match((denied as { stderr: string }).stderr, /^switchboard monitor: unauthorized: .*\n$/);
  t.notMatch((denied as { stderr: string }).stderr, /\n\s+at /, 'no stack trace');
});

t.test(
  'the monitor reconnects by itself when the hub restarts, and says so',
  tmuxOnly,
  async (t) => {
    const h = await hubProcess(t, { preset: 'development' });
    let hub = await h.start();
    const session = monitorSession(t, `sbmon-r-${process.pid}`, h.httpUrl, 30);
    await waitFor(session, /— ready, up/);
    hub.proc.kill('SIGKILL');
    await hub.exited;
    const down = await waitFor(session, /hub unreachable — reconnecting \(attempt \d+/);
    t.match(down, /reconnecting/);
    hub = await h.start();
    await fetch(`${h.httpUrl}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ queue: 'after-restart' }),
    });
    const back = await waitFor(session, /after-restart/, 10_000);
    t.notMatch(back, /reconnecting/, 'the banner is gone');
    spawnSync('tmux', ['send-keys', '-t', session, 'q']);
  },
);
