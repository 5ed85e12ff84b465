/**
 * Workspaces end to end against real OpenSSH: a hub process, a node that is a real sshd, the
 * process provider (a workspace is its own sshd on the allocated port, with the user's key),
 * and a real `ssh` client logging in with the user's private key, which never leaves this
 * test. Also the CLI, a restart, and ten workspaces created at once.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { generateEd25519KeyPair } from '../../server/nodes/index.js';
import { CLI, hubProcess } from '../helpers/hub-process.js';
import { requireTool } from '../helpers/requires.js';
import { TestSshd } from '../helpers/sshd.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);

/** A run of `n` consecutive loopback ports that are free now. */
async function freeRange(n: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    let ok = true;
    for (let p = base; p < base + n && ok; p++) ok = await free(p);
    if (ok) return base;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Processes whose command line contains `needle` (from /proc: no ps needed). */
function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) out.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return out;
}

if (requireTool('sshd')) {
  t.test('a workspace on a real node: SSH with the user key, stop, start, delete', async (t) => {
    const dir = tempDir(t, 'sb-ws-');
    const sshd = await TestSshd.start();
    t.teardown(() => sshd.stop());
    const bootstrap = generateEd25519KeyPair();
    sshd.authorize(bootstrap.public);
    writeFileSync(path.join(dir, 'bootstrap'), bootstrap.private, { mode: 0o600 });
    const base = await freeRange(14);
    writeFileSync(
      path.join(dir, 'hub.yaml'),
      [
        'nodes:',
        '  ssh:',
        '    trustOnFirstUse: true',
        'workspaces:',
        `  sshPorts: { from: ${base}, to: ${base + 11} }`,
        '  healthTimeoutMs: 30000',
        '',
      ].join('\n'),
    );
    const h = await hubProcess(t, {
      preset: 'development',
      args: ['--config', path.join(dir, 'hub.yaml'), '--store', 'wal'],
      dataDir: path.join(dir, 'data'),
    });
    let hub = await h.start();
    const api = h.httpUrl;
    const cli = async (...args: string[]) => {
      try {
        const r = await run(process.execPath, [CLI, ...args], {
          env: { ...process.env, SWITCHBOARD_URL: api },
        });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    };
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${api}${p}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as Record<string, any> };
    };
    const waitFor = async (id: string, status: string, ms = 40_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const w = await call('GET', `/api/v1/workspaces/${id}`);
        if (w.json.status === status) return w.json;
        if (Date.now() > end)
          throw new Error(
            `workspace ${id} is ${w.json.status}, not ${status}: ${w.json.lastError}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    // The user's key pair, made by OpenSSH itself; only the .pub goes to the hub.
    const userKey = (name: string) => {
      const file = path.join(dir, name);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
      return file;
    };
    const ssh = (key: string, port: number, command: string) =>
      run(
        'ssh',
        [
          '-i',
          key,
          '-p',
          String(port),
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
          '-o',
          'BatchMode=yes',
          '-o',
          'IdentitiesOnly=yes',
          '-o',
          'ConnectTimeout=10',
          '-o',
          'LogLevel=ERROR',
          `${sshd.user}@127.0.0.1`,
          command,
        ],
        { timeout: 30_000 },
      );

    // The node: the real sshd, with the process provider; workspaces live in the test's dir.
    const add = await cli(
      'node',
      'add',
      'box',
      '127.0.0.1',
      '--port',
      String(sshd.port),
      '--user',
      sshd.user,
      '--provider',
      'process',
      '--install-key',
      '--key',
      path.join(dir, 'bootstrap'),
      '--authorized-keys-file',
      sshd.authorizedKeys,
    );
    t.equal(add.code, 0, add.stderr);
    const wsDir = path.join(dir, 'workspaces');
    t.equal(
      (
        await call('PUT', '/api/v1/nodes/box', {
          metadata: { workspaceDir: wsDir, workspaceListen: '127.0.0.1' },
        })
      ).status,
      200,
    );

    // Users: registered through the CLI with the .pub file; the fingerprint is OpenSSH's.
    const key1 = userKey('ada1');
    const reg = await cli(
      'user',
      'register',
      'ada',
      '--github-id',
      '583231',
      '--email',
      'ada@example.com',
      '--key',
      `${key1}.pub`,
    );
    t.equal(reg.code, 0, reg.stderr);
    const fp = execFileSync('ssh-keygen', ['-lf', `${key1}.pub`], { encoding: 'utf8' }).split(
      ' ',
    )[1]!;
    t.match(
      reg.stdout,
      `user ada registered; key ${fp}`,
      'the SHA256 fingerprint ssh-keygen prints',
    );
    const bad = await call('POST', '/api/v1/users/register-github', {
      username: 'bob',
      githubId: 2,
      email: 'bob@example.com',
      sshPublicKey: 'ssh-ed25519 AAAAnotakey bob',
    });
    t.equal(bad.status, 400);
    t.match(bad.json.error.message, /^sshPublicKey: not an OpenSSH public key/);
    const priv = await call('POST', '/api/v1/users/register-github', {
      username: 'bob',
      githubId: 2,
      email: 'bob@example.com',
      sshPublicKey: readFileSync(key1, 'utf8'),
    });
    t.equal(priv.status, 400, 'a private key is refused…');
    t.notMatch(JSON.stringify(priv.json), /AAAA/, '…without echoing any of it');
    t.equal((await call('GET', '/api/v1/users/bob')).status, 404, 'a refused user is not there');
    const dup = await call('POST', '/api/v1/users/register-github', {
      username: 'eve',
      githubId: 583231,
      email: 'eve@example.com',
      sshPublicKey: readFileSync(`${key1}.pub`, 'utf8'),
    });
    t.equal(dup.status, 409, 'a GitHub id registered already');
    const got = await call('GET', '/api/v1/users/ada');
    t.equal(got.json.fingerprint, fp);

    // Create: 201 creating, then running once its sshd answers; log in and run a command.
    const created = await call('POST', '/api/v1/workspaces', {
      user: 'ada',
      name: 'dev',
      provider: 'process',
    });
    t.equal(created.status, 201, JSON.stringify(created.json));
    t.equal(created.json.status, 'creating');
    t.equal(created.json.sshPort, base, 'the first port of the range');
    t.equal(created.json.nodeName, 'box', 'placed on the node with the provider');
    const id = created.json.id as string;
    const port = created.json.sshPort as number;
    const startedAt = Date.now();
    const running = await waitFor(id, 'running');
    t.comment(`create → running: ${Date.now() - startedAt} ms (process provider)`);
    t.equal(running.ssh.command, `ssh -p ${port} ${sshd.user}@127.0.0.1`);
    const hello = await ssh(key1, port, 'echo "hello $((6*7))"');
    t.equal(hello.stdout, 'hello 42\n', 'logged in with the user key and ran a command');
    await t.rejects(ssh(path.join(dir, 'bootstrap'), port, 'true'), 'another key is refused');

    // A new key replaces the old one in the running workspace.
    const key2 = userKey('ada2');
    const setKey = await cli('user', 'set-key', 'ada', `${key2}.pub`);
    t.equal(setKey.code, 0, setKey.stderr);
    t.match(setKey.stdout, /1 running workspace\(s\) updated/);
    await t.rejects(ssh(key1, port, 'true'), 'the old key no longer gets in');
    t.equal((await ssh(key2, port, 'echo in')).stdout, 'in\n', 'the new one does');

    // Illegal transitions are 409, and change nothing.
    const again = await call('PATCH', `/api/v1/workspaces/${id}/status`, { action: 'start' });
    t.equal(again.status, 409);
    t.equal(again.json.error.code, 'INVALID_STATE');

    // Stop, start (CLI), survive a hub restart.
    const stop = await cli('workspace', 'stop', id);
    t.equal(stop.code, 0, stop.stderr);
    t.match(stop.stdout, /status\s+stopped/);
    t.notOk(await listening(port), 'a stopped workspace listens no more');
    t.equal(
      (await call('PATCH', `/api/v1/workspaces/${id}/status`, { action: 'stop' })).status,
      409,
    );
    // A crash of the hub: the records, and the port the workspace holds, come back.
    hub.proc.kill('SIGKILL');
    await hub.exited;
    hub = await h.start();
    const after = await call('GET', `/api/v1/workspaces/${id}`);
    t.match(after.json, { status: 'stopped', sshPort: port }, 'the workspace after a restart');
    t.equal((await call('GET', '/api/v1/status')).json.ports.used, 1, 'its port still held');
    const started = await cli('workspace', 'start', id);
    t.equal(started.code, 0, started.stdout + started.stderr);
    t.match(started.stdout, /status\s+running/);
    t.equal((await ssh(key2, port, 'echo back')).stdout, 'back\n');

    // A login in progress when the workspace goes: nothing of it may survive.
    const marker = `sleep ${3000 + Math.floor(Math.random() * 1000)}`;
    const session = spawn(
      'ssh',
      [
        '-i',
        key2,
        '-p',
        String(port),
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        'LogLevel=ERROR',
        `${sshd.user}@127.0.0.1`,
        marker,
      ],
      { stdio: 'ignore' },
    );
    const sessionEnded = new Promise((r) => session.once('exit', r));
    for (let i = 0; i < 100 && processesWith(marker).length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    t.ok(processesWith(marker).length > 0, 'the session runs on the node');

    const list = await cli('workspace', 'list');
    t.match(list.stdout, new RegExp(`${id}\\s+dev\\s+ada\\s+process\\s+box\\s+running`));
    const status = await call('GET', '/api/v1/status');
    t.match(status.json, {
      status: 'ok',
      users: 1,
      workspaces: { running: 1, creating: 0 },
      ports: { from: base, to: base + 11, used: 1, free: 11 },
      nodes: { connected: 1 },
    });
    t.equal((await call('GET', '/api/v1/health')).json.status, 'ok');

    const del = await cli('workspace', 'delete', id);
    t.equal(del.code, 0, del.stderr);
    t.match(del.stdout, `port ${port} released`);
    await sessionEnded;
    t.same(processesWith(marker), [], 'the session is gone');
    t.same(processesWith(path.join(wsDir, id)), [], "no process of the workspace's");
    t.notOk(await listening(port), 'the port is closed');
    t.notOk(existsSync(path.join(wsDir, id)), 'its directory, authorized_keys included, is gone');
    t.equal((await call('GET', `/api/v1/workspaces/${id}`)).status, 404);
    t.equal((await call('GET', '/api/v1/status')).json.ports.used, 0, 'the port is released');

    // Ten at once: ten ports, ten sshds, each answering with its own key file, none in the way
    // of another; then ten deletes at once, and nothing left.
    const tenAt = Date.now();
    const ten = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call('POST', '/api/v1/workspaces', { user: 'ada', name: `par${i}`, provider: 'process' }),
      ),
    );
    t.same(
      ten.map((r) => r.status),
      Array(10).fill(201),
    );
    const tenPorts = ten.map((r) => r.json.sshPort as number);
    t.equal(new Set(tenPorts).size, 10, 'ten distinct ports');
    await Promise.all(ten.map((r) => waitFor(r.json.id, 'running', 90_000)));
    t.comment(`ten concurrent creates → all running: ${Date.now() - tenAt} ms`);
    const outs = await Promise.all(
      ten.map((r) =>
        ssh(key2, r.json.sshPort, `cat ${path.join(wsDir, r.json.id, 'sshd_config')} | head -1`),
      ),
    );
    t.same(
      outs.map((o) => o.stdout.trim()),
      tenPorts.map((p) => `Port ${p}`),
      'each port reaches its own workspace',
    );
    const gone = await Promise.all(
      ten.map((r) => call('DELETE', `/api/v1/workspaces/${r.json.id}`)),
    );
    t.same(
      gone.map((r) => r.status),
      Array(10).fill(200),
    );
    for (const [i, r] of ten.entries()) {
      t.notOk(await listening(tenPorts[i]!), `port ${tenPorts[i]} closed`);
      t.same(processesWith(path.join(wsDir, r.json.id)), [], `no process of ${r.json.id}`);
    }
    t.same(readdirSync(wsDir), [], 'no workspace directory left');
    t.equal((await call('GET', '/api/v1/status')).json.ports.used, 0, 'every port released');
  });
}
