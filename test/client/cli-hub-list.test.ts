/**
 * The CLI and the monitor given several hubs (--url A,B or SWITCHBOARD_URL=A,B): a hub that
 * gives no answer is passed over for the next, a hub's HTTP answer (even 401) is final.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { CLI } from '../helpers/hub-process.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub } from '../helpers/hub.js';
import { restCall } from '../helpers/rest-call.js';

const MONITOR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/client/monitor/main.js',
);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run a node script to its end (asynchronously: the hubs live in this process). */
function run(script: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, SWITCHBOARD_URL: '', SWITCHBOARD_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.once('exit', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started })),
  );
}

t.test('a first --url entry that is dead: the CLI and the monitor use the next hub', async (t) => {
  const hub = await startTestHub();
  t.teardown(hub.stop);
  const dead = `http://127.0.0.1:${await freePort()}`;
  const list = `${dead},${hub.httpUrl}`;
  const noDataDir = ['--data-dir', '/nonexistent-sbhubs'];

  const status = await run(CLI, ['status', '--url', list, ...noDataDir]);
  t.equal(status.status, 0, `status exits 0 (${status.stderr.trim()})`);
  t.match(
    status.stdout,
    new RegExp(`^hub ${hub.httpUrl}: ok, `),
    'and names the hub that answered',
  );
  t.ok(status.ms < 5000, `in ${status.ms} ms`);

  const submit = await run(CLI, ['submit', 'listq', '{"n":1}', '--json', ...noDataDir], {
    SWITCHBOARD_URL: list,
  });
  t.equal(submit.status, 0, `submit through SWITCHBOARD_URL=A,B exits 0 (${submit.stderr.trim()})`);
  const { id } = JSON.parse(submit.stdout) as { id: string };
  t.equal((await restCall(`${hub.httpUrl}/api/v1/tasks/${id}`)).status, 200, 'the task is on B');

  const monitor = await run(CLI, ['monitor', '--url', list, '--json', ...noDataDir]);
  t.equal(monitor.status, 0, `switchboard monitor exits 0 (${monitor.stderr.trim()})`);
  const snap = JSON.parse(monitor.stdout) as { url: string; queues: { name: string }[] };
  t.equal(snap.url, hub.httpUrl, 'the monitor reads the hub that answered');
  t.ok(
    snap.queues.some((q) => q.name === 'listq'),
    "and shows that hub's queues",
  );

  const standalone = await run(MONITOR, ['--url', list, '--once']);
  t.equal(standalone.status, 0, `the standalone monitor exits 0 (${standalone.stderr.trim()})`);
  t.match(standalone.stdout, new RegExp(`@ ${hub.httpUrl},? `), 'and names the hub it reads');
});

t.test('no hub of the list answers, a bad entry, and an HTTP refusal', async (t) => {
  const deadA = `http://127.0.0.1:${await freePort()}`;
  const deadB = `http://127.0.0.1:${await freePort()}`;
  const noDataDir = ['--data-dir', '/nonexistent-sbhubs'];

  const none = await run(CLI, ['queues', '--url', `${deadA},${deadB}`, ...noDataDir]);
  t.equal(none.status, 3, 'exit 3 (unreachable)');
  t.match(
    none.stderr,
    new RegExp(
      `cannot reach any hub of ${deadA},${deadB} \\(${deadA}: ECONNREFUSED; ${deadB}: ECONNREFUSED\\)`,
    ),
    'naming every hub and why',
  );

  const monitor = await run(MONITOR, ['--url', `${deadA},${deadB}`, '--once']);
  t.equal(monitor.status, 3, 'the monitor: exit 3');
  t.match(monitor.stderr, new RegExp(`cannot reach any hub of ${deadA},${deadB}`));

  const bad = await run(CLI, ['status', '--url', `${deadA},ws://127.0.0.1:9501`, ...noDataDir]);
  t.equal(bad.status, 2, 'a ws:// entry for the side port is a usage error (exit 2)');
  t.match(bad.stderr, /`--url`: "ws:\/\/127\.0\.0\.1:9501" is not a http:\/\/ or https:\/\/ URL/);
  const badMonitor = await run(MONITOR, ['--url', ',']);
  t.equal(badMonitor.status, 2, 'the monitor too');
  t.match(badMonitor.stderr, /names no hub/);

  // A hub that answers 401 has answered: the CLI reports it rather than asking the next hub.
  const locked = await startTestHub({ auth: { enabled: true, secret: 'x'.repeat(32) } });
  const open = await startTestHub();
  t.teardown(locked.stop);
  t.teardown(open.stop);
  const refused = await run(CLI, [
    'queues',
    '--url',
    `${locked.httpUrl},${open.httpUrl}`,
    ...noDataDir,
  ]);
  t.equal(
    refused.status,
    4,
    'exit 4 (unauthorized) from the first hub, not an answer from the second',
  );
  t.match(refused.stderr, /pass --token/);
});
