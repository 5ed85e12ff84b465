import path from 'node:path';
import t from 'tap';
import { mintToken } from '../../server/auth/index.js';
import { KnownHosts, loadOrCreateHubKey, SshPool, SshRunner } from '../../server/nodes/index.js';
import { startTestHub } from '../helpers/hub.js';
import { requireTool } from '../helpers/requires.js';
import { TestSshd } from '../helpers/sshd.js';
import { tempDir } from '../helpers/temp-dir.js';

const SECRET = 'node-commands-secret-node-commands-0001';

/** Who may report a command's result, and what status a node command answers with. */
if (requireTool('sshd')) {
  t.test('node commands: results only from the party that runs them; statuses', async (t) => {
    const sshd = await TestSshd.start();
    t.teardown(() => sshd.stop());
    const dir = tempDir(t, 'sb-nodecmd-');
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
    const th = await startTestHub(
      { auth: { enabled: true, secret: SECRET } },
      undefined,
      new SshRunner(pool),
    );
    t.teardown(() => th.stop());
    const admin = await mintToken(SECRET, { role: 'admin' });
    const anyWorker = await mintToken(SECRET, { role: 'worker', subject: 'intruder' });
    const agent = await mintToken(SECRET, { role: 'worker', subject: 'agent-7' });
    const call = async (token: string, method: string, p: string, body?: unknown) => {
      const res = await fetch(`${th.httpUrl}${p}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as Record<string, any> };
    };
    const forged = { status: 'succeeded', exitCode: 0, stdout: 'FORGED' };

    t.equal(
      (
        await call(admin, 'POST', '/api/v1/nodes', {
          id: 'box',
          name: 'box',
          address: '127.0.0.1',
          sshPort: sshd.port,
          sshUser: sshd.user,
        })
      ).status,
      201,
    );

    // A command the hub runs over SSH: nobody else writes its result, not even mid-run.
    const running = await call(admin, 'POST', '/api/v1/nodes/box/commands?wait=false', {
      type: 'exec',
      action: 'sleep 1; echo real',
    });
    t.equal(running.status, 202);
    const id = running.json.id as string;
    const byWorker = await call(anyWorker, 'POST', `/api/v1/commands/${id}/result`, forged);
    t.equal(byWorker.status, 404, 'a worker token cannot see a command not dispatched to it');
    t.equal(byWorker.json.error.code, 'NOT_FOUND');
    const byAdmin = await call(admin, 'POST', `/api/v1/commands/${id}/result`, forged);
    t.equal(byAdmin.status, 409, 'not even an admin overwrites what the hub is running');
    t.equal(byAdmin.json.error.code, 'INVALID_STATE');
    let record: Record<string, any> = {};
    for (let i = 0; i < 200; i++) {
      record = (await call(admin, 'GET', `/api/v1/commands/${id}`)).json;
      if (record.finishedAt) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    t.equal(record.status, 'succeeded');
    t.equal(record.stdout, 'real\n', 'the hub recorded the real output');
    t.equal(
      (await call(admin, 'POST', `/api/v1/commands/${id}/result`, forged)).status,
      409,
      'and nothing replaces it afterwards',
    );
    t.equal((await call(admin, 'GET', `/api/v1/commands/${id}`)).json.stdout, 'real\n');

    // Statuses: a command that ran answers 201 whatever its exit code…
    const exit3 = await call(admin, 'POST', '/api/v1/nodes/box/commands', {
      type: 'exec',
      action: 'echo out; exit 3',
    });
    t.equal(exit3.status, 201, 'ran and exited non-zero: a created record');
    t.equal(exit3.json.status, 'failed');
    t.equal(exit3.json.exitCode, 3);
    t.equal(exit3.json.stdout, 'out\n');
    // …one that could not start is an error: 502 when the node cannot be reached…
    await call(admin, 'POST', '/api/v1/nodes', { id: 'nowhere', name: 'nowhere' });
    const unreachable = await call(admin, 'POST', '/api/v1/nodes/nowhere/commands', {
      type: 'exec',
      action: 'true',
    });
    t.equal(unreachable.status, 502);
    t.equal(unreachable.json.error.code, 'NODE_UNREACHABLE');
    t.match(unreachable.json.error.message, /no address/);
    t.equal(unreachable.json.error.details.command.status, 'error', 'the record comes along');
    // …and 400 when the arguments were refused before anything ran.
    const badArgs = await call(admin, 'POST', '/api/v1/nodes/box/commands', {
      type: 'start',
      provider: 'process',
      action: 'web',
      args: { memoryMb: 'lots' },
    });
    t.equal(badArgs.status, 400, JSON.stringify(badArgs.json));
    t.equal(badArgs.json.error.code, 'INVALID_FRAME');

    // A node with an agent: its commands wait for the agent, and only it (or an admin) reports.
    t.equal(
      (await call(admin, 'POST', '/api/v1/nodes', { id: 'edge', name: 'edge', agent: 'agent-7' }))
        .status,
      201,
    );
    const queued = await call(admin, 'POST', '/api/v1/nodes/edge/commands', {
      type: 'exec',
      action: 'uptime',
    });
    t.equal(queued.status, 202, 'an agent command is accepted, not waited for');
    t.equal(queued.json.status, 'pending');
    t.equal(queued.json.agent, 'agent-7');
    const cid = queued.json.id as string;
    t.same(
      (await call(anyWorker, 'GET', '/api/v1/commands?status=pending')).json.commands,
      [],
      'another worker sees none of it',
    );
    t.equal(
      (await call(anyWorker, 'POST', `/api/v1/commands/${cid}/result`, forged)).status,
      404,
      'another worker cannot report it',
    );
    const todo = (await call(agent, 'GET', '/api/v1/commands?status=pending')).json.commands;
    t.same(
      todo.map((c: { id: string }) => c.id),
      [cid],
      'the agent lists what is dispatched to it',
    );
    const reported = await call(agent, 'POST', `/api/v1/commands/${cid}/result`, {
      status: 'succeeded',
      exitCode: 0,
      stdout: 'up 3 days',
    });
    t.equal(reported.status, 200);
    t.equal(reported.json.stdout, 'up 3 days');
    const again = await call(admin, 'POST', `/api/v1/commands/${cid}/result`, forged);
    t.equal(again.status, 409, 'a recorded result is never replaced');
    t.equal((await call(admin, 'GET', `/api/v1/commands/${cid}`)).json.stdout, 'up 3 days');
  });
}
