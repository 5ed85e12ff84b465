import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { mintToken } from '../../server/auth/index.js';
import { hubProcess } from '../helpers/hub-process.js';
import type { Teardown } from '../helpers/teardown.js';
import { tempDir } from '../helpers/temp-dir.js';

const SECRET = 'shutdown-secret-shutdown-secret-000001';

async function hubWithWorker(t: Teardown, env: Record<string, string> = {}) {
  const dir = tempDir(t, 'sb-stop-');
  const h = await hubProcess(t, {
    preset: 'production',
    dataDir: dir,
    env: {
      SWITCHBOARD_AUTH_SECRET: SECRET,
      SWITCHBOARD_DRAIN_TIMEOUT_MS: '5000',
      SWITCHBOARD_LOG_LEVEL: 'info',
      ...env,
    },
  });
  const hub = await h.start();
  return { hub, url: h.wsUrl, httpPort: h.httpPort, dir };
}

t.test('SIGTERM drains: running tasks finish, new submits are refused, exit 0', async (t) => {
  const { hub, url } = await hubWithWorker(t);
  const finished: string[] = [];
  const worker = new Worker(
    {
      url,
      token: await mintToken(SECRET, { role: 'worker' }),
      queues: ['slow'],
      reconnect: { enabled: false },
    },
    async (task) => {
      await new Promise((r) => setTimeout(r, 600));
      finished.push(task.id);
      return 'ok';
    },
  );
  worker.on('error', () => undefined);
  await worker.start();
  const producer = new Producer({
    url,
    token: await mintToken(SECRET, { role: 'producer' }),
    reconnect: { enabled: false },
  });
  producer.on('error', () => undefined);
  t.teardown(async () => {
    await producer.close();
    await worker.close({ timeoutMs: 100 });
  });
  const { id } = await producer.submit('slow', 1);
  const result = producer.result(id);
  await new Promise((r) => setTimeout(r, 100));
  hub.proc.kill('SIGTERM');
  t.equal(await result, 'ok', 'the running task completed and its result was delivered');
  const code = await hub.exited;
  t.equal(code, 0, 'exit 0');
  t.same(finished, [id]);
  t.match(hub.output(), /shutting down: draining workers/);
  t.match(hub.output(), /stopped cleanly/);
});

t.test('a second signal forces exit', async (t) => {
  const { hub, url } = await hubWithWorker(t, { SWITCHBOARD_DRAIN_TIMEOUT_MS: '30000' });
  const worker = new Worker(
    {
      url,
      token: await mintToken(SECRET, { role: 'worker' }),
      queues: ['stuck'],
      reconnect: { enabled: false },
    },
    () => new Promise(() => undefined),
  );
  worker.on('error', () => undefined);
  await worker.start();
  const producer = new Producer({
    url,
    token: await mintToken(SECRET, { role: 'producer' }),
    reconnect: { enabled: false },
  });
  t.teardown(async () => {
    await producer.close();
    await worker.close({ timeoutMs: 50 });
  });
  await producer.submit('stuck', 1);
  await new Promise((r) => setTimeout(r, 100));
  hub.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(hub.proc.exitCode, null, 'still draining after the first signal');
  hub.proc.kill('SIGINT');
  t.equal(await hub.exited, 1, 'second signal: exits at once, non-zero');
  t.match(hub.output(), /second signal/);
});

t.test('logs never contain a token, the secret or a task payload', async (t) => {
  const { hub, url, httpPort } = await hubWithWorker(t, { SWITCHBOARD_LOG_LEVEL: 'trace' });
  const workerToken = await mintToken(SECRET, { role: 'worker' });
  const producerToken = await mintToken(SECRET, { role: 'producer' });
  const PAYLOAD_MARK = 'payload-canary-7f3a9';
  const RESULT_MARK = 'result-canary-51c2e';
  const worker = new Worker(
    { url, token: workerToken, queues: ['mail'], reconnect: { enabled: false } },
    async () => ({ secret: RESULT_MARK }),
  );
  await worker.start();
  const producer = new Producer({ url, token: producerToken, reconnect: { enabled: false } });
  const { id } = await producer.submit('mail', { password: PAYLOAD_MARK });
  await producer.result(id);
  // Failed auth attempts, over WebSocket and HTTP, with a token that looks real.
  const forged = `${producerToken.slice(0, -4)}AAAA`;
  const bad = new Producer({ url, token: forged, reconnect: { enabled: false } });
  bad.on('error', () => undefined);
  await bad.submit('mail', 1).catch(() => undefined);
  await fetch(`http://127.0.0.1:${httpPort}/api/v1/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${forged}`, 'content-type': 'application/json' },
    body: JSON.stringify({ queue: 'mail', payload: PAYLOAD_MARK }),
  });
  await producer.close();
  await worker.close({ timeoutMs: 100 });
  hub.proc.kill('SIGTERM');
  await hub.exited;
  const logs = hub.output();
  t.match(logs, /authentication failed/, 'auth failures are logged');
  t.match(logs, /worker registered/, 'lifecycle events are logged');
  for (const [what, needle] of [
    ['worker token', workerToken],
    ['producer token', producerToken],
    ['forged token', forged],
    ['token signature', producerToken.split('.')[2]!],
    ['secret', SECRET],
    ['payload', PAYLOAD_MARK],
    ['result', RESULT_MARK],
  ] as const) {
    t.notOk(logs.includes(needle), `no ${what} in the logs`);
  }
});
