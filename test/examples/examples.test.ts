import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestHub } from '../helpers/hub.js';

// The examples docs/client.md points at, run as a user runs them (node examples/x.mjs URL,
// importing the built package by name) against a real hub, so a stale example fails CI.
const ROOT = path.resolve(import.meta.dirname, '../..');
const env = { ...process.env, NODE_OPTIONS: '' };

t.test('examples/worker.mjs serves examples/producer.mjs', async (t) => {
  const hub = await startTestHub();
  t.teardown(() => hub.stop());
  const worker = spawn(process.execPath, ['examples/worker.mjs', hub.wsUrl], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  worker.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => worker.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    worker.stdout.on('data', (d: Buffer) => d.toString().includes('worker ready') && resolve());
    worker.on('exit', (code) => reject(new Error(`worker exited ${code}: ${stderr}`)));
  });

  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['examples/producer.mjs', hub.wsUrl],
    { cwd: ROOT, env, timeout: 30_000 },
  );
  t.match(stdout, /^result \{"width":320\}$/m, 'the worker halved the width');
  t.match(stdout, /^failed dead \S+$/m, 'an UnrecoverableError dead-letters on its first attempt');

  worker.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM drains and exits 0');
  t.match(stderr, /status connected/, 'the worker reported its status stream');
});
