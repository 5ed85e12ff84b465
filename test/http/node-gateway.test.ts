import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { mintToken } from '../../server/auth/index.js';
import { KnownHosts, loadOrCreateHubKey, SshPool, SshRunner } from '../../server/nodes/index.js';
import { startTestHub } from '../helpers/hub.js';
import { requireTool } from '../helpers/requires.js';
import { TestSshd } from '../helpers/sshd.js';

/**
 * What going through the gateway changed for node commands and hub reads: a command whose
 * node goes away while it runs is a clean 404 (it used to crash the handler into a 500), a
 * draining hub takes no new nodes or commands, and a queue-scoped admin's stats count only
 * its queues.
 */

const SECRET = 'node-gateway-secret-node-gateway-0001';

type Reply = { status: number; json: Record<string, any> };

async function call(
  base: string,
  method: string,
  p: string,
  body?: unknown,
  token?: string,
): Promise<Reply> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

if (requireTool('sshd')) {
  t.test('a node removed while its command runs: the waiting reply is 404', async (t) => {
    const sshd = await TestSshd.start();
    t.teardown(() => sshd.stop());
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-nodegw-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const hubKey = loadOrCreateHubKey(dir);
    sshd.authorize(hubKey.publicKey);
    const pool = new SshPool({
      privateKey: hubKey.privateKey,
      knownHosts: new KnownHosts(path.join(dir, 'known_hosts'), true),
      connectTimeoutMs: 5000,
      commandTimeoutMs: 20_000,
      idleTimeoutMs: 60_000,
      keepaliveIntervalMs: 5000,
      maxSessionsPerNode: 4,
      connectAttempts: 1,
    });
    const th = await startTestHub({}, undefined, new SshRunner(pool));
    t.teardown(() => th.stop());
    const api = th.httpUrl;
    const node = { id: 'box', name: 'box', address: '127.0.0.1', sshPort: sshd.port };
    t.equal(
      (await call(api, 'POST', '/api/v1/nodes', { ...node, sshUser: sshd.user })).status,
      201,
    );
    const warm = await call(api, 'POST', '/api/v1/nodes/box/commands', {
      type: 'exec',
      action: 'echo warm',
    });
    t.equal(warm.json.stdout, 'warm\n', 'the node runs commands');

    const waiting = call(api, 'POST', '/api/v1/nodes/box/commands', {
      type: 'exec',
      action: 'sleep 1; echo late',
    });
    let id: string | undefined;
    for (let i = 0; i < 200 && id === undefined; i++) {
      const running = (await call(api, 'GET', '/api/v1/commands?status=running')).json.commands;
      id = (running as { id: string }[])[0]?.id;
      if (id === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    t.ok(id, 'the command is on record as running');
    t.equal((await call(api, 'DELETE', '/api/v1/nodes/box')).status, 200);
    const reply = await waiting;
    t.equal(reply.status, 404, JSON.stringify(reply.json));
    t.equal(reply.json.error.code, 'NOT_FOUND');
    t.match(reply.json.error.message, id!);
    t.equal((await call(api, 'GET', `/api/v1/commands/${id}`)).status, 404, 'gone with its node');
    t.equal((await call(api, 'GET', '/api/v1/nodes')).json.nodes.length, 0);
  });
}

t.test('a draining hub takes no new node or command, and still answers reads', async (t) => {
  const th = await startTestHub();
  t.teardown(() => th.stop());
  const api = th.httpUrl;
  t.equal(
    (await call(api, 'POST', '/api/v1/nodes', { id: 'edge', name: 'edge', agent: 'a' })).status,
    201,
  );
  // A running task keeps the hub draining (up to the grace) instead of stopping at once.
  t.equal(
    (await call(api, 'POST', '/api/workers/register', { workerId: 'w1', queues: ['q'] })).status,
    201,
  );
  t.equal((await call(api, 'POST', '/api/v1/tasks', { queue: 'q', payload: 1 })).status, 201);
  const [task] = (await call(api, 'POST', '/api/tasks/assign', { workerId: 'w1' })).json.tasks;
  t.ok(task, 'the worker holds a task');
  const stopping = th.hub.stop(10_000);

  const late = await call(api, 'POST', '/api/v1/nodes', { name: 'late' });
  t.equal(late.status, 503, JSON.stringify(late.json));
  t.equal(late.json.error.code, 'SHUTTING_DOWN');
  const cmd = await call(api, 'POST', '/api/v1/nodes/edge/commands', {
    type: 'exec',
    action: 'uptime',
  });
  t.equal(cmd.status, 503, JSON.stringify(cmd.json));
  t.equal(cmd.json.error.code, 'SHUTTING_DOWN');
  const nodes = await call(api, 'GET', '/api/v1/nodes');
  t.equal(nodes.status, 200, 'reads answer meanwhile');
  t.same(
    nodes.json.nodes.map((n: { id: string }) => n.id),
    ['edge'],
    'no node was added',
  );
  t.same((await call(api, 'GET', '/api/v1/commands')).json.commands, [], 'no command recorded');

  const done = await call(api, 'POST', '/api/tasks/complete', {
    workerId: 'w1',
    taskId: task.id,
    attempt: task.attempt,
  });
  t.equal(done.status, 200, 'the running task still completes');
  await stopping;
});

t.test('stats of a queue-scoped admin count only its queues', async (t) => {
  const th = await startTestHub({ auth: { enabled: true, secret: SECRET } });
  t.teardown(() => th.stop());
  const admin = await mintToken(SECRET, { role: 'admin' });
  const adminA = await mintToken(SECRET, { role: 'admin', queues: ['a'] });
  for (const queue of ['a', 'a', 'b', 'b', 'b'])
    t.equal(
      (await call(th.httpUrl, 'POST', '/api/v1/tasks', { queue, payload: 1 }, admin)).status,
      201,
    );
  const all = (await call(th.httpUrl, 'GET', '/api/v1/stats', undefined, admin)).json;
  t.same(all.tasks, { retained: 5, queued: 5, delayed: 0, leased: 0, dead: 0 });
  const scoped = (await call(th.httpUrl, 'GET', '/api/v1/stats', undefined, adminA)).json;
  t.same(scoped.tasks, { retained: 2, queued: 2, delayed: 0, leased: 0, dead: 0 });
  t.equal(scoped.workers, 0);
});
