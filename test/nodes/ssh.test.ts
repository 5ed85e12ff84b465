import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { NodeRecord } from '../../server/core/index.js';
import {
  generateEd25519KeyPair,
  installHubKey,
  joinArgv,
  KnownHosts,
  loadOrCreateHubKey,
  NodeError,
  SshPool,
  SshRunner,
  type SshPoolOptions,
} from '../../server/nodes/index.js';
import { requireTool } from '../helpers/requires.js';
import { TestSshd } from '../helpers/sshd.js';

if (requireTool('sshd')) run();

function run(): void {
  let sshd: TestSshd;
  let dataDir: string;
  let hubKey: ReturnType<typeof loadOrCreateHubKey>;

  t.before(async () => {
    sshd = await TestSshd.start();
    dataDir = mkdtempSync(path.join(tmpdir(), 'sb-nodes-'));
    hubKey = loadOrCreateHubKey(dataDir);
    sshd.authorize(hubKey.publicKey);
  });
  t.teardown(async () => {
    await sshd.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const poolFor = (extra: Partial<SshPoolOptions> = {}, tofu = true): SshPool =>
    new SshPool({
      privateKey: hubKey.privateKey,
      knownHosts: new KnownHosts(path.join(dataDir, 'ssh', 'known_hosts'), tofu),
      connectTimeoutMs: 5000,
      commandTimeoutMs: 10_000,
      idleTimeoutMs: 60_000,
      keepaliveIntervalMs: 5000,
      maxSessionsPerNode: 4,
      connectAttempts: 1,
      ...extra,
    });
  const target = () => ({ nodeId: 'n1', host: '127.0.0.1', port: sshd.port, username: sshd.user });

  t.test('hub key: ed25519 in the data dir, mode 0600, never ~/.ssh', async (t) => {
    t.match(hubKey.publicKey, /^ssh-ed25519 AAAA/);
    t.equal(hubKey.file, path.join(dataDir, 'ssh', 'id_ed25519'));
    t.equal(statSync(hubKey.file).mode & 0o777, 0o600);
    t.equal(statSync(path.dirname(hubKey.file)).mode & 0o777, 0o700);
    t.equal(loadOrCreateHubKey(dataDir).publicKey, hubKey.publicKey, 'reused, not regenerated');
  });

  t.test('installing the hub key with an existing key is idempotent', async (t) => {
    const bootstrap = generateEd25519KeyPair();
    sshd.authorize(bootstrap.public);
    const known = new KnownHosts(path.join(dataDir, 'ssh', 'known_hosts'), true);
    // A separate file, so this test does not depend on (or disturb) the key the others use.
    const file = path.join(sshd.dir, 'other', 'authorized_keys');
    t.equal(
      await installHubKey(target(), hubKey.publicKey, { privateKey: bootstrap.private }, known, {
        authorizedKeysFile: file,
      }),
      'installed',
    );
    t.equal(
      await installHubKey(target(), hubKey.publicKey, { privateKey: bootstrap.private }, known, {
        authorizedKeysFile: file,
      }),
      'present',
    );
    t.equal(statSync(file).mode & 0o777, 0o600);
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() === hubKey.publicKey.trim());
    t.equal(lines.length, 1, 'exactly one line for the hub key');
  });

  t.test('commands reuse one pooled connection', async (t) => {
    const pool = poolFor();
    t.teardown(() => pool.close());
    const statuses: string[] = [];
    pool.onStatus((_id, s) => statuses.push(s));
    for (let i = 0; i < 10; i++) {
      const r = await pool.exec(target(), joinArgv(['echo', `hello ${i}`]));
      t.equal(r.stdout, `hello ${i}\n`);
      t.equal(r.exitCode, 0);
    }
    const failing = await pool.exec(target(), 'exit 7');
    t.equal(failing.exitCode, 7, 'a failing command reports its exit code and is not retried');
    const s = pool.stats();
    t.equal(s.connects, 1, 'one connection');
    t.equal(s.reuses, 10, 'reused for every later command');
    t.same(statuses, ['connecting', 'connected']);
  });

  t.test('concurrent sessions per node are bounded', async (t) => {
    const pool = poolFor({ maxSessionsPerNode: 2 });
    t.teardown(() => pool.close());
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, pool.stats().activeSessions)), 5);
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => pool.exec(target(), 'sleep 0.3')));
    clearInterval(watch);
    t.equal(peak, 2, 'never more than 2 at once');
    t.ok(Date.now() - t0 >= 850, 'six 0.3 s commands, two at a time, take at least 0.9 s');
  });

  t.test('command timeout kills the remote command', async (t) => {
    const pool = poolFor();
    t.teardown(() => pool.close());
    const r = await pool.exec(target(), 'sleep 5; echo late', { timeoutMs: 300 });
    t.equal(r.timedOut, true);
    t.equal(r.exitCode, null);
    t.notMatch(r.stdout, /late/);
    t.ok(r.durationMs < 2000);
  });

  t.test('sshd dies: error/offline; it comes back: connected again', async (t) => {
    const pool = poolFor();
    t.teardown(() => pool.close());
    const statuses: string[] = [];
    pool.onStatus((_id, s) => statuses.push(s));
    t.equal((await pool.exec(target(), 'true')).exitCode, 0);
    await sshd.down();
    const err = await pool.exec(target(), 'true').catch((e: unknown) => e);
    t.type(err, NodeError);
    t.equal((err as NodeError).code, 'NODE_UNREACHABLE');
    t.ok(
      statuses.includes('offline') || statuses.includes('error'),
      `status went offline/error: ${statuses.join(' → ')}`,
    );
    await sshd.up();
    t.equal((await pool.exec(target(), 'echo back')).stdout, 'back\n');
    t.equal(statuses[statuses.length - 1], 'connected');
  });

  t.test(
    'host keys: TOFU records, strict refuses unknown, a changed key is refused loudly',
    async (t) => {
      const khFile = path.join(dataDir, 'kh-test');
      const strict = new SshPool({
        privateKey: hubKey.privateKey,
        knownHosts: new KnownHosts(khFile, false),
        connectTimeoutMs: 3000,
        commandTimeoutMs: 3000,
        idleTimeoutMs: 1000,
        keepaliveIntervalMs: 1000,
        maxSessionsPerNode: 1,
        connectAttempts: 1,
      });
      const unknown = await strict.exec(target(), 'true').catch((e: unknown) => e);
      t.equal((unknown as NodeError).code, 'HOST_KEY_UNKNOWN');
      t.notOk(existsSync(khFile), 'strict mode records nothing');
      await strict.close();

      const tofu = new SshPool({
        privateKey: hubKey.privateKey,
        knownHosts: new KnownHosts(khFile, true),
        connectTimeoutMs: 3000,
        commandTimeoutMs: 3000,
        idleTimeoutMs: 1000,
        keepaliveIntervalMs: 1000,
        maxSessionsPerNode: 1,
        connectAttempts: 1,
      });
      t.equal((await tofu.exec(target(), 'true')).exitCode, 0);
      t.match(
        readFileSync(khFile, 'utf8'),
        new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `),
        'trust on first use recorded the key',
      );
      await tofu.close();

      await sshd.down();
      sshd.rotateHostKey();
      await sshd.up();
      const again = new SshPool({
        privateKey: hubKey.privateKey,
        knownHosts: new KnownHosts(khFile, true),
        connectTimeoutMs: 3000,
        commandTimeoutMs: 3000,
        idleTimeoutMs: 1000,
        keepaliveIntervalMs: 1000,
        maxSessionsPerNode: 1,
        connectAttempts: 1,
      });
      const changed = await again.exec(target(), 'true').catch((e: unknown) => e);
      t.equal((changed as NodeError).code, 'HOST_KEY_CHANGED', 'refused even with TOFU on');
      t.match((changed as Error).message, /HAS CHANGED.*SHA256:/);
      await again.close();
      // Keep the shared known_hosts valid for later tests.
      rmSync(path.join(dataDir, 'ssh', 'known_hosts'), { force: true });
    },
  );

  t.test('hostile names and arguments arrive as literal arguments', async (t) => {
    const pool = poolFor();
    t.teardown(() => pool.close());
    const canary = path.join(tmpdir(), `sb-pwned-${process.pid}`);
    const hostile = [
      `it's`,
      `a;b`,
      `$(touch ${canary})`,
      '`touch ' + canary + '`',
      'new\nline',
      '  spaced  ',
      '--flag',
      '"double"',
      '\\back',
      '*',
      '',
    ];
    const r = await pool.exec(target(), joinArgv(['printf', '%s\\0', ...hostile]));
    t.same(r.stdout.split('\0').slice(0, -1), hostile, 'every argument byte for byte');
    t.notOk(existsSync(canary), 'nothing was executed');

    const runner = new SshRunner(pool);
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-proc-'));
    const node: NodeRecord = {
      id: 'n1',
      name: 'n1',
      address: '127.0.0.1',
      sshUser: sshd.user,
      sshPort: sshd.port,
      providers: ['process'],
      labels: {},
      capabilities: [],
      metadata: { serviceDir: dir },
      status: 'unknown',
      lastError: undefined,
      lastSeen: 0,
      createdAt: 0,
      updatedAt: 0,
    };
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const name = `x'; touch pwned-${process.pid}; echo '$(id)\n\`id\``;
    const started = await runner.run(node, {
      type: 'start',
      action: name,
      provider: 'process',
      args: { dir, command: ['sh', '-c', 'printf "%s" "$0"; sleep 30', name] },
    });
    t.equal(started.status, 'succeeded', started.stderr);
    await new Promise((r) => setTimeout(r, 200));
    t.equal(
      readFileSync(path.join(dir, `${name}.log`), 'utf8'),
      name,
      'the service saw its name literally',
    );
    const list = await runner.services(node);
    t.ok(
      list.some((s) => s.name === name && s.state === 'running'),
      'listed under its literal name',
    );
    await runner.run(node, { type: 'remove', action: name, provider: 'process', args: { dir } });
    t.notOk(existsSync(path.join(homedir(), `pwned-${process.pid}`)), 'nothing was executed');
  });

  t.test('process provider end to end', async (t) => {
    const pool = poolFor();
    t.teardown(() => pool.close());
    const runner = new SshRunner(pool);
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-proc-'));
    const node: NodeRecord = {
      id: 'n2',
      name: 'n2',
      address: '127.0.0.1',
      sshUser: sshd.user,
      sshPort: sshd.port,
      providers: ['process'],
      labels: {},
      capabilities: [],
      metadata: { serviceDir: dir },
      status: 'unknown',
      lastError: undefined,
      lastSeen: 0,
      createdAt: 0,
      updatedAt: 0,
    };
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const args = { dir, command: ['sleep', '300'] };
    t.equal(
      (await runner.run(node, { type: 'create', action: 'sleeper', provider: 'process', args }))
        .status,
      'succeeded',
    );
    const status = await runner.run(node, {
      type: 'status',
      action: 'sleeper',
      provider: 'process',
      args,
    });
    t.match(status.stdout, /^running \d+/);
    t.same(
      (await runner.services(node)).map((s) => [s.name, s.state]),
      [['sleeper', 'running']],
    );
    t.equal(
      (await runner.run(node, { type: 'stop', action: 'sleeper', provider: 'process', args }))
        .status,
      'succeeded',
    );
    const after = await runner.run(node, {
      type: 'status',
      action: 'sleeper',
      provider: 'process',
      args,
    });
    t.equal(after.status, 'failed');
    t.match(after.stdout, /stopped/);
    t.equal(
      (await runner.run(node, { type: 'remove', action: 'sleeper', provider: 'process', args }))
        .status,
      'succeeded',
    );
    t.same(await runner.services(node), []);
  });
}
