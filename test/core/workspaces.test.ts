import t from 'tap';
import { pack, unpack } from 'msgpackr';
import {
  Core,
  serviceOrder,
  WORKSPACE_STATUSES,
  WORKSPACE_TRANSITIONS,
  type Command,
  type WorkspaceStatusName,
} from '../../server/core/index.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk3h0RrVa7Sx0R0mI4J4xZbq8b3zPIVtD3X2jHhQ8Jf me';

/** A core with a node and a user, an explicit clock, and the journal it wrote. */
function fixture() {
  const core = new Core();
  const journal: object[] = [];
  let now = 1000;
  const apply = (cmd: Command) => {
    const r = core.apply(cmd);
    journal.push(...core.takeEffects().journal);
    return r;
  };
  apply({
    type: 'node.register',
    now,
    node: {
      id: 'n1',
      name: 'n1',
      address: '127.0.0.1',
      sshUser: 'u',
      sshPort: 22,
      providers: ['process'],
      labels: {},
      capabilities: [],
      metadata: {},
    },
  });
  apply({
    type: 'user.register',
    now,
    user: { username: 'ada', githubId: 1, email: 'a@x', publicKey: KEY, fingerprint: 'SHA256:x' },
  });
  let n = 0;
  const create = (range = { from: 2222, to: 2299 }, user = 'ada') => {
    const id = `ws${++n}`;
    const r = apply({
      type: 'workspace.create',
      now: ++now,
      workspace: { id, user, name: id, provider: 'process', nodeId: 'n1', services: [] },
      ports: range,
    });
    return { id, r };
  };
  const status = (workspaceId: string, s: WorkspaceStatusName, error?: string) =>
    apply({
      type: 'workspace.status',
      now: ++now,
      workspaceId,
      status: s,
      ...(error ? { error } : {}),
    });
  return { core, journal, apply, create, status };
}

t.test('users: unique username and GitHub id; a key is replaced', async (t) => {
  const f = fixture();
  const again = f.apply({
    type: 'user.register',
    now: 2,
    user: { username: 'ada', githubId: 2, email: 'b@x', publicKey: KEY, fingerprint: 'f' },
  });
  t.match(again, { ok: false, code: 'CONFLICT', message: /named ada/ });
  const sameId = f.apply({
    type: 'user.register',
    now: 2,
    user: { username: 'bob', githubId: 1, email: 'b@x', publicKey: KEY, fingerprint: 'f' },
  });
  t.match(sameId, { ok: false, code: 'CONFLICT', message: /GitHub id 1 .*user ada/ });
  t.notOk(f.core.workspaces.users.has('bob'), 'a refused registration changes nothing');
  t.same(
    f.apply({ type: 'user.key', now: 3, username: 'ada', publicKey: 'k2', fingerprint: 'f2' }),
    { ok: true },
  );
  t.equal(f.core.workspaces.users.get('ada')!.fingerprint, 'f2');
  t.match(
    f.apply({ type: 'user.key', now: 3, username: 'nobody', publicKey: 'k', fingerprint: 'f' }),
    { ok: false, code: 'NOT_FOUND' },
  );
});

t.test('create: creating, the lowest free port, unknown user or node refused', async (t) => {
  const f = fixture();
  const a = f.create();
  t.same(a.r, { ok: true });
  const ws = f.core.workspaces.workspaces.get(a.id)!;
  t.equal(ws.status, 'creating');
  t.equal(ws.sshPort, 2222);
  t.equal(f.create().id && f.core.workspaces.workspaces.get('ws2')!.sshPort, 2223);
  t.match(f.create(undefined, 'nobody').r, { ok: false, code: 'NOT_FOUND' });
  t.match(
    f.apply({
      type: 'workspace.create',
      now: 9,
      workspace: {
        id: 'x',
        user: 'ada',
        name: 'x',
        provider: 'process',
        nodeId: 'n9',
        services: [],
      },
      ports: { from: 1, to: 2 },
    }),
    { ok: false, code: 'NOT_FOUND', message: /no node n9/ },
  );
  t.match(
    f.apply({
      type: 'workspace.create',
      now: 9,
      workspace: {
        id: 'y',
        user: 'ada',
        name: 'ws1',
        provider: 'process',
        nodeId: 'n1',
        services: [],
      },
      ports: { from: 2222, to: 2299 },
    }),
    { ok: false, code: 'CONFLICT', message: /named ws1/ },
    'names are unique per user',
  );
});

t.test('ports: an exhausted range is refused, a released port comes back', async (t) => {
  const f = fixture();
  const range = { from: 3000, to: 3002 };
  const ids = [f.create(range), f.create(range), f.create(range)].map((c) => c.id);
  const full = f.create(range);
  t.match(full.r, { ok: false, code: 'PORTS_EXHAUSTED', message: /3000-3002/ });
  t.notOk(f.core.workspaces.workspaces.has(full.id), 'nothing was created');
  t.same(f.status(ids[1]!, 'deleted'), { ok: true });
  t.notOk(f.core.workspaces.workspaces.has(ids[1]!), 'a deleted workspace is dropped');
  const reuse = f.create(range);
  t.same(reuse.r, { ok: true });
  t.equal(f.core.workspaces.workspaces.get(reuse.id)!.sshPort, 3001, 'the released port');
  t.equal(f.core.workspaces.ports.usedIn(range), 3);
});

t.test('100 creates in a row never share a port; allocation time', async (t) => {
  const f = fixture();
  const started = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) f.create({ from: 10_000, to: 10_099 });
  const perCreateUs = Number(process.hrtime.bigint() - started) / 1000 / 100;
  const ports = [...f.core.workspaces.workspaces.values()].map((w) => w.sshPort);
  t.equal(new Set(ports).size, 100, 'a hundred distinct ports');
  t.match(f.create({ from: 10_000, to: 10_099 }).r, { code: 'PORTS_EXHAUSTED' });
  t.ok(perCreateUs < 100_000, `a create with its allocation took ${perCreateUs.toFixed(1)} µs`);
});

t.test(
  'every transition of the state machine: the legal ones pass, the rest are 409',
  async (t) => {
    for (const from of WORKSPACE_STATUSES) {
      for (const to of WORKSPACE_STATUSES) {
        const f = fixture();
        const { id } = f.create();
        // Reach `from` by a legal path.
        const path: Record<WorkspaceStatusName, WorkspaceStatusName[]> = {
          creating: [],
          running: ['running'],
          stopped: ['running', 'stopped'],
          failed: ['failed'],
          deleted: ['deleted'],
        };
        for (const step of path[from]) t.same(f.status(id, step), { ok: true });
        const r = f.status(id, to, to === 'failed' ? 'why' : undefined);
        const legal = WORKSPACE_TRANSITIONS[from].includes(to);
        if (from === 'deleted') {
          t.match(r, { ok: false, code: 'NOT_FOUND' }, `deleted → ${to}: gone`);
          continue;
        }
        if (legal) {
          t.same(r, { ok: true }, `${from} → ${to} is legal`);
          if (to !== 'deleted') t.equal(f.core.workspaces.workspaces.get(id)!.status, to);
          if (to === 'failed') t.equal(f.core.workspaces.workspaces.get(id)!.lastError, 'why');
        } else {
          t.match(r, { ok: false, code: 'INVALID_STATE' }, `${from} → ${to} is refused`);
          t.equal(f.core.workspaces.workspaces.get(id)!.status, from, 'and changes nothing');
        }
      }
    }
    t.same(WORKSPACE_TRANSITIONS, {
      creating: ['running', 'failed', 'deleted'],
      running: ['stopped', 'failed', 'deleted'],
      stopped: ['running', 'failed', 'deleted'],
      failed: ['running', 'stopped', 'failed', 'deleted'],
      deleted: [],
    });
  },
);

t.test('replay and a snapshot restore users, workspaces and held ports', async (t) => {
  const f = fixture();
  const range = { from: 4000, to: 4001 };
  const a = f.create(range);
  f.create(range);
  f.status(a.id, 'running');
  f.status(a.id, 'deleted');
  f.create(range); // takes 4000 again
  const replayed = new Core();
  for (const r of f.journal) replayed.apply(r as Command);
  const restored = Core.restore(unpack(pack(f.core.snapshot())));
  for (const core of [replayed, restored]) {
    t.same(
      [...core.workspaces.workspaces.values()].map((w) => [w.id, w.sshPort, w.status]),
      [
        ['ws2', 4001, 'creating'],
        ['ws3', 4000, 'creating'],
      ],
    );
    t.equal(core.workspaces.users.get('ada')!.githubId, 1);
    const more = core.apply({
      type: 'workspace.create',
      now: 1e6,
      workspace: {
        id: 'z',
        user: 'ada',
        name: 'z',
        provider: 'process',
        nodeId: 'n1',
        services: [],
      },
      ports: range,
    });
    t.match(more, { code: 'PORTS_EXHAUSTED' }, 'held ports stay held after a restart');
    t.match(
      core.apply({
        type: 'user.register',
        now: 1e6,
        user: { username: 'eve', githubId: 1, email: 'e', publicKey: KEY, fingerprint: 'f' },
      }),
      { code: 'CONFLICT' },
      'the GitHub id index is restored too',
    );
  }
});

t.test(
  'services: status changes journaled once, replayed and restored; the order rule',
  async (t) => {
    const f = fixture();
    const apply = (cmd: Command) => {
      const r = f.core.apply(cmd);
      const fx = f.core.takeEffects();
      f.journal.push(...fx.journal);
      return { r, events: fx.events };
    };
    apply({
      type: 'workspace.create',
      now: 2000,
      workspace: {
        id: 'svc',
        user: 'ada',
        name: 'svc',
        provider: 'process',
        nodeId: 'n1',
        services: [
          { name: 'db', port: 5432 },
          { name: 'web', port: 80, dependencies: ['db'] },
        ],
      },
      ports: { from: 5000, to: 5001 },
    });
    const ws = f.core.workspaces.workspaces.get('svc')!;
    t.same(
      Object.fromEntries(Object.entries(ws.serviceStates).map(([k, v]) => [k, v.status])),
      { db: 'pending', web: 'pending' },
      'every declared service starts pending',
    );
    const set = (service: string, status: 'starting' | 'healthy' | 'unhealthy', error?: string) =>
      apply({
        type: 'workspace.service',
        now: 3000,
        workspaceId: 'svc',
        service,
        status,
        ...(error ? { error } : {}),
      });
    t.match(set('db', 'starting').events, [
      { type: 'workspace.service', service: 'db', from: 'pending' },
    ]);
    t.same(set('db', 'starting').events, [], 'no change: no event');
    set('db', 'healthy');
    t.match(set('db', 'unhealthy', 'refused').events, [{ from: 'healthy' }]);
    t.match(set('nope', 'healthy').r, { ok: false, code: 'NOT_FOUND' });
    const replayed = new Core();
    for (const r of f.journal) replayed.apply(r as Command);
    const restored = Core.restore(unpack(pack(f.core.snapshot())));
    for (const core of [replayed, restored])
      t.match(core.workspaces.workspaces.get('svc')!.serviceStates, {
        db: { status: 'unhealthy', lastError: 'refused', since: 3000 },
        web: { status: 'pending' },
      });

    t.match(serviceOrder([{ name: 'web', dependencies: ['db'] }, { name: 'db' }]), {
      ok: true,
      order: [{ name: 'db' }, { name: 'web' }],
    });
    t.match(
      serviceOrder([
        { name: 'a', dependencies: ['c'] },
        { name: 'b', dependencies: ['a'] },
        { name: 'c', dependencies: ['b'] },
      ]),
      { ok: false, issue: { message: /cycle: a -> c -> b -> a/ } },
    );
    t.match(serviceOrder([{ name: 'a', dependencies: ['x'] }]), {
      ok: false,
      issue: { path: ['services', 0, 'dependencies', 0] },
    });
    t.match(serviceOrder([{ name: 'a' }, { name: 'a' }]), {
      ok: false,
      issue: { path: ['services', 1, 'name'] },
    });
  },
);
