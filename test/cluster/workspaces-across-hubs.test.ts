/**
 * Users and workspaces on the Redis engine: one core on the leader holds them, so a create
 * through either hub draws from one port allocator, and a failover keeps every record and
 * every held port. (The node is unreachable here: the workspaces end `failed`, which is all
 * the allocator needs; test/workspaces runs them for real.)
 */
import t from 'tap';
import { freePort } from '../helpers/free-port.js';
import { requireTool } from '../helpers/requires.js';
import { startCluster } from '../helpers/cluster.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk3h0RrVa7Sx0R0mI4J4xZbq8b3zPIVtD3X2jHhQ8Jf ada';

if (requireTool('redis')) {
  t.test('workspaces through both hubs share one allocator and survive a failover', async (t) => {
    const c = await startCluster(t, 2);
    await c.start(0);
    await c.start(1);
    const lead = await c.leader();
    const edge = 1 - lead;
    const call = async (i: number, method: string, p: string, body?: unknown) => {
      const res = await fetch(`${c.hubs[i]!.httpUrl}${p}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as Record<string, any> };
    };
    const deadPort = await freePort();
    t.equal(
      (
        await call(edge, 'POST', '/api/v1/nodes', {
          name: 'far',
          address: '127.0.0.1',
          sshPort: deadPort,
          providers: ['process'],
        })
      ).status,
      201,
    );
    const reg = await call(edge, 'POST', '/api/v1/users/register-github', {
      username: 'ada',
      githubId: 1,
      email: 'ada@example.com',
      sshPublicKey: KEY,
    });
    t.equal(reg.status, 201, 'registered through the edge');
    t.equal(
      (
        await call(lead, 'POST', '/api/v1/users/register-github', {
          username: 'ada2',
          githubId: 1,
          email: 'x@example.com',
          sshPublicKey: KEY,
        })
      ).status,
      409,
      'the leader knows the GitHub id the edge registered',
    );
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(i % 2 ? edge : lead, 'POST', '/api/v1/workspaces', {
          user: 'ada',
          name: `w${i}`,
          provider: 'process',
        }),
      ),
    );
    t.same(
      made.map((m) => m.status),
      Array(20).fill(201),
    );
    const ports = made.map((m) => m.json.sshPort as number);
    t.equal(new Set(ports).size, 20, 'twenty distinct ports, whichever hub was asked');

    c.children[lead]!.proc.kill('SIGKILL');
    await c.children[lead]!.exited;
    const next = await c.leader(15_000);
    t.equal(next, edge, 'the edge took over');
    const listed = await call(next, 'GET', '/api/v1/workspaces');
    t.same(
      listed.json.workspaces.map((w: { sshPort: number }) => w.sshPort).sort(),
      [...ports].sort(),
      'every workspace and its port after the failover',
    );
    const more = await call(next, 'POST', '/api/v1/workspaces', {
      user: 'ada',
      name: 'after',
      provider: 'process',
    });
    t.equal(more.status, 201);
    t.notOk(ports.includes(more.json.sshPort), 'a new one gets a port nobody holds');
    const status = await call(next, 'GET', '/api/v1/status');
    t.equal(status.json.users, 1);
    t.equal(status.json.ports.used, 21);
  });
}
