import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, lstatSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Producer } from '../../client/index.js';
import { startTestHub } from '../helpers/hub.js';
import { tempDir } from '../helpers/temp-dir.js';

// A worker machine installs only @switchboard/client: the packed tarball, into an empty
// project, must stay under 15 MB of node_modules, carry no server/bench/test code, and run a
// real Worker against a real hub.
const ROOT = path.resolve(import.meta.dirname, '../..');
const PKG = path.join(ROOT, 'packages/client');
const LIMIT_BYTES = 15 * 1024 * 1024;

function treeBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const st = lstatSync(file);
    total += st.isDirectory() ? treeBytes(file) : st.size;
  }
  return total;
}

const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', npm_config_fund: 'false', npm_config_audit: 'false' },
  });

t.test('the client installs alone, small, and runs a worker', async (t) => {
  const dir = tempDir(t, 'sb-client-install-');
  npm(['pack', '--pack-destination', dir, '--json'], PKG);
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error('npm pack wrote no tarball');

  const listed = execFileSync('tar', ['-tzf', path.join(dir, tarball)], { encoding: 'utf8' });
  t.notMatch(listed, /\/(server|bench|test|scripts)\//, 'no server, bench or test code packed');
  t.notMatch(listed, /client\/monitor\//, 'the monitor (ink/react) stays with the hub CLI');

  const app = path.join(dir, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(path.join(app, 'package.json'), '{"name":"app","private":true,"type":"module"}');
  npm(['install', '--prefer-offline', '--no-package-lock', path.join(dir, tarball)], app);
  const nm = path.join(app, 'node_modules');
  const bytes = treeBytes(nm);
  t.comment(`client-only node_modules: ${(bytes / 1024 / 1024).toFixed(2)} MB`);
  t.ok(bytes < LIMIT_BYTES, `node_modules ${bytes} bytes < 15 MB`);
  for (const heavy of ['uWebSockets.js', 'ssh2', 'pino', 'ink', 'react', 'prom-client']) {
    t.throws(() => lstatSync(path.join(nm, heavy)), `${heavy} is not installed`);
  }

  const hub = await startTestHub();
  t.teardown(() => hub.stop());
  writeFileSync(
    path.join(app, 'worker.mjs'),
    `import { Worker } from '@switchboard/client';
     const w = new Worker({ url: process.argv[2], queues: ['install'] }, (task) => ({ doubled: task.payload.n * 2 }));
     await w.start();
     process.on('SIGTERM', async () => { await w.close(); process.exit(0); });
     console.log('ready');`,
  );
  const child = spawn(process.execPath, ['worker.mjs', hub.wsUrl], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  t.teardown(() => {
    child.kill('SIGTERM');
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`worker exited ${code}`)));
  });

  const producer = new Producer({ url: hub.wsUrl });
  t.teardown(() => producer.close());
  const { id } = await producer.submit('install', { n: 21 });
  t.same(await producer.result(id, { timeoutMs: 10_000 }), { doubled: 42 });
});
