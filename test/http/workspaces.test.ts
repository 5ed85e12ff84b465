/**
 * Users and workspaces through the REST API of a real hub, with a node runner that runs
 * nothing (each command is recorded, and fails when the test says so) and an SSH check that
 * passes at once: the placement, the ports, the status machine, authorisation, and teardown
 * when a step fails half-way. test/workspaces runs the same against real OpenSSH.
 */
import t from 'tap';
import { mintToken } from '../../server/auth/index.js';
import type { NodeCommandRequest } from '../../server/gateway/node-executor.js';
import type { NodeRunner } from '../../server/nodes/node-runner.js';
import { NodeWorkspaceDriver } from '../../server/nodes/node-workspace-driver.js';
import { startTestHub } from '../helpers/hub.js';

const SECRET = 'workspaces-test-secret-0123456789abcdef';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk3h0RrVa7Sx0R0mI4J4xZbq8b3zPIVtD3X2jHhQ8Jf ada';
const FP = 'SHA256:dsiK9QiFLWjFsuuCod43XJErHembHUxUPxIGlxJxx2M';

/** Every command run, and a rule saying which fail. */
const ran: NodeCommandRequest[] = [];
let failWhen: (req: NodeCommandRequest) => boolean = () => false;
const runner: NodeRunner = {
  run: async (_node, req) => {
    ran.push(req);
    await new Promise((r) => setTimeout(r, 1));
    return failWhen(req)
      ? { status: 'failed', exitCode: 1, stdout: '', stderr: 'it broke', durationMs: 1 }
      : { status: 'succeeded', exitCode: 0, stdout: '', stderr: '', durationMs: 1 };
  },
  services: async () => [],
  onStatus: () => undefined,
  forget: () => undefined,
  close: async () => undefined,
};
const argvOf = (r: NodeCommandRequest) => (r.args.argv as string[] | undefined) ?? [];
const about = (r: NodeCommandRequest, id: string) => JSON.stringify(r.args).includes(id);

t.test('users and workspaces over REST', async (t) => {
  const th = await startTestHub(
    {
      auth: { enabled: true, secret: SECRET },
      workspaces: {
        sshPorts: { from: 30_000, to: 30_099 },
        healthTimeoutMs: 1000,
        stepTimeoutMs: 1000,
      },
    },
    undefined,
    runner,
  );
  t.teardown(() => th.stop());
  // The real plans; an SSH check that passes (nothing listens: the runner ran nothing).
  const real = new NodeWorkspaceDriver();
  th.hub.gateway.workspaces.attach({
    steps: (phase, target) => real.steps(phase, target),
    sshUser: (ws, node) => real.sshUser(ws, node),
    waitForSsh: async () => undefined,
  });
  const tokens = {
    admin: await mintToken(SECRET, { role: 'admin' }),
    ada: await mintToken(SECRET, { role: 'producer', subject: 'ada' }),
    bob: await mintToken(SECRET, { role: 'producer', subject: 'bob' }),
  };
  const call = async (
    who: keyof typeof tokens,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${th.httpUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens[who]}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: await res.json() };
  };
  const settled = (id: string) => th.hub.gateway.workspaces.settled(id);

  t.equal(
    (
      await call('ada', 'POST', '/api/v1/workspaces', {
        user: 'ada',
        name: 'early',
        provider: 'process',
      })
    ).status,
    404,
    'no user yet',
  );
  const reg = await call('ada', 'POST', '/api/v1/users/register-github', {
    username: 'ada',
    githubId: 1,
    email: 'ada@example.com',
    sshPublicKey: KEY,
  });
  t.equal(reg.status, 201, 'a user registers herself with a token for her name');
  t.equal(reg.json.fingerprint, FP);
  t.equal(
    (
      await call('bob', 'POST', '/api/v1/users/register-github', {
        username: 'carol',
        githubId: 3,
        email: 'c@example.com',
        sshPublicKey: KEY,
      })
    ).status,
    403,
    'but not someone else',
  );
  const badKey = await call('admin', 'PUT', '/api/v1/users/ada/ssh-key', {
    sshPublicKey: 'ssh-rsa nope',
  });
  t.equal(badKey.status, 400);
  t.match(badKey.json.error.message, /^sshPublicKey: /);
  t.equal((await call('admin', 'GET', '/api/v1/users/ada')).json.fingerprint, FP, 'unchanged');
  t.equal((await call('bob', 'GET', '/api/v1/users/ada')).status, 404, 'others cannot look');
  await call('admin', 'POST', '/api/v1/users/register-github', {
    username: 'bob',
    githubId: 2,
    email: 'bob@example.com',
    sshPublicKey: KEY,
  });

  const none = await call('ada', 'POST', '/api/v1/workspaces', {
    user: 'ada',
    name: 'x',
    provider: 'process',
  });
  t.equal(none.status, 409);
  t.equal(none.json.error.code, 'NO_SUITABLE_NODE');
  for (const [id, providers] of [
    ['n-proc', ['process']],
    ['n-docker', ['docker']],
  ] as const)
    await call('admin', 'POST', '/api/v1/nodes', {
      id,
      name: id,
      address: '10.0.0.9',
      providers,
    });
  const noImage = await call('ada', 'POST', '/api/v1/workspaces', {
    user: 'ada',
    name: 'x',
    provider: 'docker',
  });
  t.equal(noImage.status, 400, 'docker needs an image');
  t.match(noImage.json.error.message, /^image: /);
  t.equal(
    (
      await call('ada', 'POST', '/api/v1/workspaces', {
        user: 'ada',
        name: 'x',
        provider: 'docker',
        node: 'n-proc',
        image: 'debian',
      })
    ).json.error.code,
    'NO_SUITABLE_NODE',
    'a named node must offer the provider',
  );
  t.equal(
    (
      await call('bob', 'POST', '/api/v1/workspaces', {
        user: 'ada',
        name: 'x',
        provider: 'process',
      })
    ).status,
    403,
    'no workspaces for someone else',
  );

  await t.test('100 concurrent creates never share a port; the 101st is refused', async (t) => {
    const latencies: number[] = [];
    const answers = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const started = performance.now();
        const r = await call('ada', 'POST', '/api/v1/workspaces', {
          user: 'ada',
          name: `w${i}`,
          provider: 'process',
        });
        latencies.push(performance.now() - started);
        return r;
      }),
    );
    t.same(
      answers.map((a) => a.status),
      Array(100).fill(201),
    );
    t.ok(
      answers.every((a) => a.json.status === 'creating'),
      'each answers creating',
    );
    const ports = answers.map((a) => a.json.sshPort as number);
    t.equal(new Set(ports).size, 100, 'a hundred distinct ports');
    t.same(
      [...ports].sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => 30_000 + i),
      'exactly the range',
    );
    latencies.sort((a, b) => a - b);
    const p99 = latencies[98]!;
    t.comment(
      `POST /api/v1/workspaces, 100 at once: p50 ${latencies[49]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
    );
    t.ok(p99 < 2000, 'each answered well within the bound');
    const full = await call('ada', 'POST', '/api/v1/workspaces', {
      user: 'ada',
      name: 'w100',
      provider: 'process',
    });
    t.equal(full.status, 503);
    t.equal(full.json.error.code, 'PORTS_EXHAUSTED');
    await Promise.all(answers.map((a) => settled(a.json.id)));
    const listed = (await call('ada', 'GET', '/api/v1/workspaces')).json.workspaces;
    t.ok(
      listed.every((w: { status: string }) => w.status === 'running'),
      'all running',
    );
    const status = (await call('admin', 'GET', '/api/v1/status')).json;
    t.match(status, {
      users: 2,
      workspaces: { running: 100 },
      ports: { used: 100, free: 0 },
      nodes: { unknown: 2 },
    });
    // A released port comes back.
    const victim = answers[37]!.json;
    const del = await call('ada', 'DELETE', `/api/v1/workspaces/${victim.id}`);
    t.equal(del.status, 200);
    t.equal(del.json.status, 'deleted');
    t.ok(
      ran.some((r) => argvOf(r).some((a) => a.includes('rm -rf')) && about(r, victim.id)),
      'its directory was removed on the node',
    );
    const reuse = await call('ada', 'POST', '/api/v1/workspaces', {
      user: 'ada',
      name: 'again',
      provider: 'process',
    });
    t.equal(reuse.json.sshPort, victim.sshPort, 'the released port is handed out again');
    await settled(reuse.json.id);
    // Room for the next tests.
    await Promise.all(
      answers.slice(0, 20).map((a) => call('ada', 'DELETE', `/api/v1/workspaces/${a.json.id}`)),
    );
  });

  await t.test('owners see their own; admins see all', async (t) => {
    const mine = await call('bob', 'POST', '/api/v1/workspaces', {
      user: 'bob',
      name: 'bobs',
      provider: 'process',
    });
    t.equal(mine.status, 201);
    await settled(mine.json.id);
    const bobList = (await call('bob', 'GET', '/api/v1/workspaces')).json.workspaces;
    t.same(
      bobList.map((w: { id: string }) => w.id),
      [mine.json.id],
    );
    const all = (await call('admin', 'GET', '/api/v1/workspaces')).json.workspaces;
    t.ok(all.length > 1 && all.some((w: { user: string }) => w.user === 'ada'));
    const adaId = all.find((w: { user: string }) => w.user === 'ada').id;
    t.equal((await call('bob', 'GET', `/api/v1/workspaces/${adaId}`)).status, 404);
    t.equal((await call('bob', 'DELETE', `/api/v1/workspaces/${adaId}`)).status, 404);
    t.equal(
      (await call('bob', 'PATCH', `/api/v1/workspaces/${adaId}/status`, { action: 'stop' })).status,
      404,
    );
  });

  await t.test('a step failing half-way: failed, and what it made is removed', async (t) => {
    failWhen = (r) => r.type === 'start';
    const before = ran.length;
    const c = await call('ada', 'POST', '/api/v1/workspaces', {
      user: 'ada',
      name: 'broken',
      provider: 'process',
    });
    await settled(c.json.id);
    failWhen = () => false;
    const w = (await call('ada', 'GET', `/api/v1/workspaces/${c.json.id}`)).json;
    t.equal(w.status, 'failed');
    t.match(w.lastError, /create step 3\/3 .*failed with exit code 1: it broke/);
    const steps = ran.slice(before).filter((r) => about(r, c.json.id));
    t.same(
      steps.map((r) => r.type),
      ['exec', 'exec', 'start', 'exec', 'remove', 'exec'],
      'prepare, key, start (failed), then kill, remove, rm',
    );
    t.equal(
      (await call('ada', 'PATCH', `/api/v1/workspaces/${c.json.id}/status`, { action: 'stop' }))
        .status,
      200,
      'a failed one may be stopped',
    );
    const restarted = await call('ada', 'PATCH', `/api/v1/workspaces/${c.json.id}/status`, {
      status: 'running',
    });
    t.equal(restarted.status, 202);
    await settled(c.json.id);
    t.equal(
      (await call('ada', 'GET', `/api/v1/workspaces/${c.json.id}`)).json.status,
      'running',
      'started again',
    );
  });

  await t.test('a delete that fails on the node keeps the workspace and its port', async (t) => {
    const c = await call('ada', 'POST', '/api/v1/workspaces', {
      user: 'ada',
      name: 'sticky',
      provider: 'process',
    });
    await settled(c.json.id);
    failWhen = (r) => r.type === 'remove';
    const del = await call('ada', 'DELETE', `/api/v1/workspaces/${c.json.id}`);
    failWhen = () => false;
    t.equal(del.status, 502);
    t.equal(del.json.error.details.workspace.status, 'failed');
    t.match(del.json.error.message, /delete incomplete: remove step 2\/3/);
    const kept = await call('ada', 'GET', `/api/v1/workspaces/${c.json.id}`);
    t.equal(kept.json.sshPort, c.json.sshPort, 'still there, port held');
    const retry = await call('ada', 'DELETE', `/api/v1/workspaces/${c.json.id}`);
    t.equal(retry.status, 200, 'a second delete finishes');
  });

  await t.test(
    'a delete while creating waits for the creation to stop, then removes',
    async (t) => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      th.hub.gateway.workspaces.attach({
        steps: (phase, target) => real.steps(phase, target),
        sshUser: (ws, node) => real.sshUser(ws, node),
        waitForSsh: async (_h, _p, _ms, cancelled) => {
          await gate;
          if (cancelled()) throw new Error('cancelled');
        },
      });
      const c = await call('ada', 'POST', '/api/v1/workspaces', {
        user: 'ada',
        name: 'racing',
        provider: 'process',
      });
      t.equal(
        (await call('ada', 'PATCH', `/api/v1/workspaces/${c.json.id}/status`, { action: 'stop' }))
          .status,
        409,
        'a creating workspace cannot be stopped',
      );
      const del = call('ada', 'DELETE', `/api/v1/workspaces/${c.json.id}`);
      await new Promise((r) => setTimeout(r, 20));
      release();
      const done = await del;
      t.equal(done.status, 200);
      t.equal(done.json.status, 'deleted');
      t.equal((await call('ada', 'GET', `/api/v1/workspaces/${c.json.id}`)).status, 404);
    },
  );

  await t.test('a new key reaches the running workspaces', async (t) => {
    const before = ran.length;
    const KEY2 =
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1bbc2Tl0b7dM0XjhM2aBWxAqkRk1vWcYqf0pYHqnQz ada2';
    const r = await call('ada', 'PUT', '/api/v1/users/ada/ssh-key', { sshPublicKey: KEY2 });
    t.equal(r.status, 200, JSON.stringify(r.json));
    const running = (await call('ada', 'GET', '/api/v1/workspaces')).json.workspaces.filter(
      (w: { status: string }) => w.status === 'running',
    );
    t.equal(r.json.workspaces.length, running.length, 'one report per running workspace');
    const keyed = ran.slice(before).filter((c) => argvOf(c).includes(KEY2));
    t.equal(keyed.length, running.length, 'the new key written in each');
  });
});
