import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { mintToken } from '../../server/auth/index.js';
import { freePort } from '../helpers/free-port.js';
import { hubProcess } from '../helpers/hub-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * A real hub at log level trace, driven through every path that carries a credential or
 * user data: WS and HTTP auth (good, bad, forged), submits, progress, results, failures,
 * the compat worker paths, refused frames and bodies, node key installation. Not one of the
 * markers may reach stdout or stderr. (A Redis password: test/cluster/redis-secrets.test.ts.)
 */
const SECRET = 'SecretMarker-log-secrets-0123456789abcdef';
const M = {
  secret: 'SecretMarker',
  payload: 'PayloadMarker',
  httpPayload: 'HttpPayloadMarker',
  progress: 'ProgressMarker',
  result: 'ResultMarker',
  httpResult: 'HttpResultMarker',
  failure: 'FailureMessageMarker',
  badFrame: 'BadFramePayloadMarker',
  badJson: 'BadJsonMarker',
  forged: 'ForgedTokenMarker',
  privateKey: 'PrivateKeyMarker',
  password: 'SshPasswordMarker',
  commandOut: 'CommandStdoutMarker',
};

t.test('nothing sensitive reaches the logs at level trace', async (t) => {
  const dir = tempDir(t, 'sb-logsecrets-');
  const config = path.join(dir, 'hub.yaml');
  writeFileSync(config, `log:\n  level: trace\n`);
  const h = await hubProcess(t, {
    preset: 'production',
    args: ['--store', 'wal', '--config', config],
    dataDir: path.join(dir, 'data'),
    env: { SWITCHBOARD_AUTH_SECRET: SECRET, SWITCHBOARD_LOG_LEVEL: 'trace' },
  });
  const hub = await h.start();
  const { wsUrl: url, httpUrl: api } = h;
  const admin = await mintToken(SECRET, { role: 'admin', subject: 'ops' });
  const workerToken = await mintToken(SECRET, { role: 'worker', subject: 'w' });
  const producerToken = await mintToken(SECRET, { role: 'producer' });
  const otherSecret = await mintToken('x'.repeat(40), { role: 'admin' });
  const tokens = [admin, workerToken, producerToken, otherSecret];
  const call = async (method: string, p: string, body?: unknown, token = admin) => {
    const res = await fetch(`${api}${p}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, text: await res.text() };
  };

  // WebSocket: an SDK worker and producer (auth succeeds), progress, results, failures.
  const worker = new Worker(
    { url, token: workerToken, queues: ['mail'], reconnect: { enabled: false } },
    async (task) => {
      const p = task.payload as { note: string; fail?: boolean };
      task.progress({ step: M.progress });
      if (p.fail) throw new Error(`${M.failure}: could not send`);
      return { echo: M.result };
    },
  );
  worker.on('error', () => undefined);
  await worker.start();
  t.teardown(() => worker.close({ timeoutMs: 100 }));
  const producer = new Producer({ url, token: producerToken, reconnect: { enabled: false } });
  producer.on('error', () => undefined);
  t.teardown(() => producer.close());
  const ok = await producer.submit('mail', { note: M.payload });
  const progress: unknown[] = [];
  producer.onProgress(ok.id, (v) => progress.push(v));
  t.same(await producer.result(ok.id), { echo: M.result });
  const bad = await producer.submit('mail', { note: M.payload, fail: true }, { maxAttempts: 1 });
  await t.rejects(producer.result(bad.id), new RegExp(M.failure));

  // WebSocket auth failures: garbage, a token signed with another secret, no token.
  for (const token of [`eyJhbGciOiJIUzI1NiJ9.${M.forged}.sig`, otherSecret, undefined]) {
    const c = await RawClient.connect(url);
    c.send({ t: 'hello', id: 1, protocol: 1, ...(token ? { token } : {}) });
    await c.closed();
  }
  // A refused frame that carries a payload (bad field next to it) on an open session.
  const raw = await RawClient.open(url, producerToken);
  raw.send({ t: 'submit', id: 2, queue: 'bad queue!', payload: { note: M.badFrame } });
  raw.send({ t: 'submit', id: 3, queue: 'mail', payload: M.badFrame, priority: 'urgent' });
  await raw.next((f) => f.t === 'error' && f.id === 3);
  raw.ws.close();

  // HTTP: auth success and failure, submits, a body that is not JSON, compat worker paths.
  t.equal((await call('GET', '/api/v1/tasks', undefined, `${M.forged}`)).status, 401);
  t.equal((await call('GET', '/api/v1/tasks', undefined, otherSecret)).status, 401);
  t.equal((await call('GET', `/api/v1/tasks?token=${M.forged}`, undefined, '')).status, 401);
  t.equal(
    (await call('POST', '/api/v1/tasks', { queue: 'http', payload: M.httpPayload })).status,
    201,
  );
  t.equal(
    (await call('POST', '/api/v1/tasks', `{"queue":"http","payload":"${M.badJson}`)).status,
    400,
  );
  t.equal(
    (await call('POST', '/api/v1/tasks', { queue: 'http', payload: M.badJson, bogus: 1 })).status,
    400,
  );
  t.equal(
    (
      await call(
        'POST',
        '/api/workers/register',
        { workerId: 'curl', queues: ['http'] },
        workerToken,
      )
    ).status,
    201,
  );
  const assigned = JSON.parse(
    (await call('POST', '/api/tasks/assign', { workerId: 'curl' }, workerToken)).text,
  ) as { tasks: { id: string; attempt: number }[] };
  t.equal(assigned.tasks.length, 1);
  t.equal(
    (
      await call(
        'POST',
        '/api/tasks/complete',
        {
          workerId: 'curl',
          taskId: assigned.tasks[0]!.id,
          attempt: 1,
          result: { out: M.httpResult },
        },
        workerToken,
      )
    ).status,
    200,
  );

  // Nodes: one-time SSH credentials for a node nobody answers on, and a command record.
  const closedPort = await freePort();
  await call('POST', '/api/v1/nodes', {
    id: 'n1',
    name: 'n1',
    address: '127.0.0.1',
    sshPort: closedPort,
  });
  for (const creds of [
    {
      privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${M.privateKey}\n-----END OPENSSH PRIVATE KEY-----\n`,
    },
    { password: M.password },
  ]) {
    const r = await call('POST', '/api/v1/nodes/n1/install-key', creds);
    t.ok(r.status >= 400, `install-key refused (${r.status})`);
  }
  await call('POST', '/api/v1/nodes/n1/commands', { type: 'exec', action: `echo ${M.commandOut}` });

  // The event stream, with a token in the header.
  const events = await fetch(`${api}/api/v1/events?lastEventId=0`, {
    headers: { authorization: `Bearer ${admin}` },
    signal: AbortSignal.timeout(300),
  })
    .then((r) => r.text())
    .catch(() => '');
  t.equal(typeof events, 'string');

  hub.proc.kill('SIGTERM');
  await hub.exited;
  const out = hub.output();
  if (process.env.SHOW_LOG) console.error(out);
  // The run logged at trace: these lines prove the paths above reached the logger.
  t.match(out, /"level":10|"level":20/, 'debug/trace lines were written');
  t.match(out, /authentication failed/, 'WS auth failures were logged');
  t.match(out, /HTTP authentication failed/, 'HTTP auth failures were logged');
  t.match(out, /session opened/);
  for (const [name, marker] of Object.entries(M))
    t.notOk(out.includes(marker), `no ${name} marker in the logs`);
  for (const token of tokens) {
    const signature = token.split('.')[2]!;
    t.notOk(out.includes(signature), 'no token (signature) in the logs');
  }
});
