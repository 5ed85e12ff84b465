/**
 * The command lines each provider's workspace plan sends to a node, exactly as the SSH
 * runner writes them (docker, LXC and QEMU are not on the test machine; the process
 * provider runs for real in test/workspaces).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { NodeRecord, WorkspaceRecord, WorkspaceServiceSpec } from '../../server/core/index.js';
import type { WorkspacePhase } from '../../server/gateway/workspace-driver.js';
import { NodeWorkspaceDriver } from '../../server/nodes/node-workspace-driver.js';
import type { SshPool } from '../../server/nodes/ssh-pool.js';
import { SshRunner } from '../../server/nodes/ssh-runner.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk3h0RrVa7Sx0R0mI4J4xZbq8b3zPIVtD3X2jHhQ8Jf ada';
const node: NodeRecord = {
  id: 'n1',
  name: 'n1',
  address: '10.0.0.9',
  sshUser: 'deploy',
  sshPort: 22,
  providers: ['docker', 'lxc', 'qemu', 'process'],
  labels: {},
  capabilities: [],
  metadata: {},
  status: 'connected',
  lastError: undefined,
  lastSeen: 0,
  createdAt: 0,
  updatedAt: 0,
};
const ws = (provider: WorkspaceRecord['provider'], extra: Partial<WorkspaceRecord> = {}) =>
  ({
    id: 'ws-1',
    user: 'ada',
    name: 'dev',
    provider,
    nodeId: 'n1',
    repository: undefined,
    image: undefined,
    services: [],
    sshPort: 2222,
    status: 'creating',
    lastError: undefined,
    createdAt: 0,
    updatedAt: 0,
    ...extra,
  }) satisfies WorkspaceRecord;

const driver = new NodeWorkspaceDriver();
// commandLine needs no connection: the pool is never touched.
const runner = new SshRunner(undefined as unknown as SshPool);
const lines = (phase: WorkspacePhase, w: WorkspaceRecord): string[] =>
  driver
    .steps(phase, { workspace: w, node, publicKey: KEY })
    .map((r) => runner.commandLine(r, node));
/** The first line of a `sh -c SCRIPT` command line stands for its script. */
const short = (l: string) => l.split('\n')[0]!;

t.test('docker', async (t) => {
  const w = ws('docker', {
    image: 'ghcr.io/acme/dev:1',
    repository: 'https://github.com/acme/app.git',
  });
  const create = lines('create', w);
  t.equal(
    create[0],
    "docker create --name=sb-ws-1 --publish=2222:22/tcp --label=switchboard.workspace=ws-1 --label=switchboard.user=ada -- ghcr.io/acme/dev:1 sh -c 'mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh && ssh-keygen -A >/dev/null && exec /usr/sbin/sshd -D -e'",
  );
  t.equal(create[1], 'docker start -- sb-ws-1');
  t.match(create[2], /^docker exec sb-ws-1 sh -c 'f=\$1; umask 077;/);
  t.ok(
    create[2]!.endsWith(` switchboard /root/.ssh/authorized_keys '${KEY}'`),
    'the key as an argument',
  );
  t.match(
    create[3],
    /^docker exec sb-ws-1 sh -c .* switchboard https:\/\/github.com\/acme\/app.git \/root\/repo$/s,
  );
  t.same(lines('stop', w), ['docker stop -- sb-ws-1']);
  t.same(lines('remove', w), ['docker rm --force -- sb-ws-1']);
  t.equal(lines('start', w)[0], 'docker start -- sb-ws-1');
  t.equal(lines('set-key', w).length, 1);
  t.throws(() => lines('create', ws('docker')), /image: the docker provider needs an image/);
  t.equal(driver.sshUser(w, node), 'root');
});

t.test('lxc', async (t) => {
  const w = ws('lxc', { image: 'images:ubuntu/24.04' });
  const create = lines('create', w);
  t.equal(
    create[0],
    'lxc init images:ubuntu/24.04 sb-ws-1 --config=user.switchboard.workspace=ws-1 --config=user.switchboard.user=ada',
  );
  t.equal(
    create[1],
    'lxc config device add sb-ws-1 ssh proxy listen=tcp:0.0.0.0:2222 connect=tcp:127.0.0.1:22',
  );
  t.equal(create[2], 'lxc start -- sb-ws-1');
  t.match(create[3], /^lxc exec sb-ws-1 -- sh -c /);
  t.same(lines('stop', w), ['lxc stop -- sb-ws-1']);
  t.same(lines('remove', w), ['lxc delete --force -- sb-ws-1']);
});

t.test('qemu', async (t) => {
  const w = ws('qemu', { image: '/var/lib/images/debian-12.qcow2' });
  const create = lines('create', w);
  t.equal(create[0], 'mkdir -p -- .switchboard/qemu');
  t.match(
    create[1],
    /^sh -c 'cd "\$1" \|\| exit 1\n.*qemu-img create -q -f qcow2 -F qcow2 -b "\$3" "\$2.qcow2"' switchboard .switchboard\/qemu sb-ws-1 \/var\/lib\/images\/debian-12.qcow2$/s,
  );
  t.match(create[2], /cloud-localds/);
  t.ok(create[2]!.includes(`'${KEY}'`), 'the key reaches the seed as an argument');
  t.equal(
    create[3],
    'qemu-system-x86_64 -name sb-ws-1 -daemonize -pidfile .switchboard/qemu/sb-ws-1.pid -m 512 -display none -drive file=.switchboard/qemu/sb-ws-1.qcow2,if=virtio -nic user,hostfwd=tcp::2222-:22 -drive file=.switchboard/qemu/sb-ws-1.seed.iso,if=virtio,format=raw',
  );
  t.match(short(lines('stop', w)[0]!), /^sh -c 'pid=\$\(cat "\$1\/\$2.pid"/);
  t.equal(lines('remove', w).length, 2);
  t.equal(driver.sshUser(w, node), 'dev');
});

t.test('process', async (t) => {
  const w = ws('process');
  const create = lines('create', w);
  t.equal(create.length, 3);
  t.match(create[0], /switchboard .switchboard\/workspaces\/ws-1 2222 ''$/);
  t.match(
    create[2],
    /switchboard .switchboard\/workspaces\/ws-1 workspace \/usr\/sbin\/sshd -D -e -f .switchboard\/workspaces\/ws-1\/sshd_config$/,
  );
  t.equal(lines('remove', w).length, 3, 'kill the tree, remove the pidfile, remove the directory');
  t.equal(driver.sshUser(w, node), 'deploy', "the node's user");
});

// The service command lines of the container providers (they cannot run here): pinned, and
// the part that runs inside the container run for real by sh, so a quoting slip shows.
t.test('services inside docker and lxc containers', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-svc-lines-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, "it's here");
  const svc: WorkspaceServiceSpec = {
    name: 'db',
    port: 5432,
    command: `echo "port=$PORT arg=$1" > "${out}"`,
    healthCheck: { type: 'command', command: 'pg_isready' },
  };
  const target = (provider: WorkspaceRecord['provider']) => ({
    workspace: ws(provider, { image: 'img', services: [svc] }),
    node,
  });
  const line = (r: Parameters<SshRunner['commandLine']>[0]) => runner.commandLine(r, node);

  const docker = target('docker');
  const [start, ...more] = driver.serviceSteps('start', docker, svc).map(line);
  t.same(more, [], 'one command starts it');
  const prefix = 'docker exec -d -w /root sb-ws-1 ';
  t.ok(start!.startsWith(prefix), start);
  t.ok(start!.endsWith(' 5432'), 'the port as an argument');
  // What `docker exec` would run inside the container, run by this machine's sh.
  execFileSync('sh', ['-c', start!.slice(prefix.length)]);
  t.equal(readFileSync(out, 'utf8'), 'port=5432 arg=\n', 'the command runs with PORT set');
  t.same(driver.serviceSteps('stop', docker, svc), [], "the container's stop ends it");
  t.equal(line(driver.insideStep(docker, 'pg_isready')), 'docker exec sb-ws-1 sh -c pg_isready');
  const dockerHost = driver.serviceHost(docker);
  t.ok('step' in dockerHost && line(dockerHost.step).startsWith('docker inspect -f '));

  const lxc = target('lxc');
  const lxcStart = driver.serviceSteps('start', lxc, svc).map(line);
  t.equal(lxcStart.length, 1);
  t.match(lxcStart[0], /^lxc exec sb-ws-1 -- sh -c 'cd \/root; log=\/var\/log\/sb-svc-\$1\.log; /);
  t.ok(lxcStart[0]!.endsWith(` db '${svc.command!.replace(/'/g, "'\\''")}' 5432`), lxcStart[0]);
  t.same(driver.serviceSteps('stop', lxc, svc), []);
  t.equal(line(driver.insideStep(lxc, 'pg_isready')), 'lxc exec sb-ws-1 -- sh -c pg_isready');
  const lxcHost = driver.serviceHost(lxc);
  t.ok('step' in lxcHost && line(lxcHost.step) === 'lxc list sb-ws-1 -c 4 --format csv');

  t.throws(
    () => driver.serviceSteps('start', target('qemu'), svc),
    /the qemu provider runs no services/,
  );
});
