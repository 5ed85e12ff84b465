/**
 * A workspace's services end to end against real OpenSSH: a hub process, a node that is a
 * real sshd, the process provider. Services start in dependency order and are checked
 * (tcp, http, command) before the workspace is running and periodically after; a service
 * is reached through a hub port forward over the node's pooled SSH connection (REST and
 * `switchboard workspace forward`); a failing check keeps the workspace from running and
 * leaves nothing behind; stop and delete close the forwards and stop every service; every
 * step shows on the event stream.
 */
import { execFile, spawn } from 'node:child_process';
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

/** What a TCP server at `port` says first (the db service greets). */
function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.once('end', () => resolve(got));
    s.once('error', reject);
  });
}

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

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The services' program: `svc.js NAME WSDIR [DEP_PORT]`. It appends "NAME start" to
 * order.log in the workspace directory (with whether DEP_PORT answered at that moment),
 * then serves on $PORT: `db` greets over TCP, `web` and `bad` answer HTTP (bad with 500),
 * `worker` listens nowhere and only leaves a file its command check looks for.
 */
const SERVICE_JS = `
const net = require('node:net'), http = require('node:http'), fs = require('node:fs');
const [name, dir, dep] = process.argv.slice(2);
const log = (line) => fs.appendFileSync(dir + '/order.log', line + '\\n');
const serve = () => {
  const port = Number(process.env.PORT);
  if (name === 'worker') { fs.writeFileSync(dir + '/worker.ready', ''); setInterval(() => {}, 1e6); return; }
  if (name === 'db') { net.createServer((s) => { s.on('error', () => {}); s.end('db here\\n'); }).listen(port, '127.0.0.1'); return; }
  http.createServer((req, res) => {
    res.writeHead(name === 'bad' ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(name + ' ' + req.url + '\\n');
  }).listen(port, '127.0.0.1');
};
if (!dep) { log(name + ' start'); serve(); }
else {
  const s = net.connect(Number(dep), '127.0.0.1');
  s.once('connect', () => { s.destroy(); log(name + ' start; dependency up'); serve(); });
  s.once('error', () => { log(name + ' start; dependency DOWN'); serve(); });
}
`;

interface SseEvent {
  type: string;
  data: Record<string, any>;
}

/** Collect the hub's events of `types` until aborted. */
function eventStream(url: string): { events: SseEvent[]; close: () => void } {
  const events: SseEvent[] = [];
  const ac = new AbortController();
  void (async () => {
    try {
      const res = await fetch(url, { signal: ac.signal });
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type && data)
            events.push({
              type,
              data: (JSON.parse(data) as { data?: Record<string, any> }).data ?? {},
            });
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, close: () => ac.abort() };
}

if (requireTool('sshd')) {
  t.test('services: dependency order, checks, forwards, failure, stop and delete', async (t) => {
    const dir = tempDir(t, 'sb-svc-');
    const sshd = await TestSshd.start();
    t.teardown(() => sshd.stop());
    const bootstrap = generateEd25519KeyPair();
    sshd.authorize(bootstrap.public);
    writeFileSync(path.join(dir, 'bootstrap'), bootstrap.private, { mode: 0o600 });
    const svcJs = path.join(dir, 'svc.js');
    writeFileSync(svcJs, SERVICE_JS);
    const base = await freeRange(12);
    const [sshA, sshB] = [base, base + 1];
    const [dbPort, webPort, okPort, badPort] = [base + 4, base + 5, base + 6, base + 7];
    writeFileSync(
      path.join(dir, 'hub.yaml'),
      [
        'nodes:',
        '  ssh:',
        '    trustOnFirstUse: true',
        'workspaces:',
        `  sshPorts: { from: ${sshA}, to: ${sshB} }`,
        // Long enough for a loaded machine; the failing check waits all of it, once.
        '  healthTimeoutMs: 20000',
        '  serviceCheckIntervalMs: 300',
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
    const env = { ...process.env, SWITCHBOARD_URL: api };
    const cli = async (...args: string[]) => {
      try {
        const r = await run(process.execPath, [CLI, ...args], { env });
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
    const waitStatus = async (id: string, status: string) => {
      let last: Record<string, any> = {};
      await until(`workspace ${id} ${status}`, async () => {
        last = (await call('GET', `/api/v1/workspaces/${id}`)).json;
        if (last.status === 'failed' && status === 'running')
          throw new Error(`workspace ${id} is ${last.status}: ${last.lastError}`);
        return last.status === status;
      });
      return last;
    };
    const services = async (id: string) =>
      (await call('GET', `/api/v1/workspaces/${id}/services`)).json.services as Record<
        string,
        any
      >[];
    const stream = eventStream(`${api}/api/v1/events?types=workspace.*`);
    t.teardown(stream.close);

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
    await call('PUT', '/api/v1/nodes/box', {
      metadata: { workspaceDir: wsDir, workspaceListen: '127.0.0.1' },
    });
    const user = await call('POST', '/api/v1/users/register-github', {
      username: 'ada',
      githubId: 1,
      email: 'ada@example.com',
      sshPublicKey: bootstrap.public,
    });
    t.equal(user.status, 201, JSON.stringify(user.json));

    // ------------------------------------------------ a cycle is refused at create
    const cycle = await call('POST', '/api/v1/workspaces', {
      user: 'ada',
      name: 'loop',
      provider: 'process',
      services: [
        { name: 'a', dependencies: ['b'] },
        { name: 'b', dependencies: ['a'] },
      ],
    });
    t.equal(cycle.status, 400);
    t.match(
      cycle.json.error.message,
      /services\.\d\.dependencies: .*cycle: (a -> b -> a|b -> a -> b)/,
    );
    t.equal((await call('GET', '/api/v1/workspaces')).json.workspaces.length, 0, 'nothing made');

    // ------------------------------------------------ services in dependency order
    const node = process.execPath;
    const cmd = (name: string, dep?: number) =>
      `exec "${node}" "${svcJs}" ${name} "$PWD"${dep ? ` ${dep}` : ''}`;
    // Declared out of order on purpose: web needs db, db comes last in the list.
    const specs = [
      {
        name: 'web',
        port: webPort,
        command: cmd('web', dbPort),
        dependencies: ['db'],
        healthCheck: { type: 'http', path: '/health' },
      },
      {
        name: 'worker',
        command: cmd('worker'),
        dependencies: ['web'],
        healthCheck: { type: 'command', command: 'test -f worker.ready' },
      },
      { name: 'db', port: dbPort, command: cmd('db') },
    ];
    // Through the CLI, from a YAML file.
    writeFileSync(
      path.join(dir, 'services.yaml'),
      `services:\n${specs.map((s) => `  - ${JSON.stringify(s)}`).join('\n')}\n`,
    );
    const created = await cli(
      'workspace',
      'create',
      'dev',
      '--user',
      'ada',
      '--provider',
      'process',
      '--services',
      path.join(dir, 'services.yaml'),
      '--no-wait',
      '--json',
    );
    t.equal(created.code, 0, created.stderr);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    const running = await waitStatus(id, 'running');
    t.same(running.serviceStatus, { web: 'healthy', worker: 'healthy', db: 'healthy' });
    const dirA = path.join(wsDir, id);
    t.same(
      readFileSync(path.join(dirA, 'order.log'), 'utf8').trim().split('\n'),
      ['db start', 'web start; dependency up', 'worker start'],
      'each service started after what it depends on was healthy',
    );
    const listed = await services(id);
    t.same(
      listed.map((s) => [s.name, s.status, s.healthCheck?.type ?? null]),
      [
        ['web', 'healthy', 'http'],
        ['worker', 'healthy', 'command'],
        ['db', 'healthy', null],
      ],
    );
    await until('a periodic check of every service', async () =>
      (await services(id)).every(
        (s) => s.lastCheck?.ok === true && s.lastCheck.at > running.updatedAt,
      ),
    );

    // ------------------------------------------------ reach services through forwards
    const fwd = await call('POST', `/api/v1/workspaces/${id}/services/db/port-forward`, {});
    t.equal(fwd.status, 201, JSON.stringify(fwd.json));
    t.match(fwd.json, { workspace: id, service: 'db', port: dbPort, host: '127.0.0.1' });
    t.equal(await greeting(fwd.json.localPort as number), 'db here\n', 'db through the forward');

    const fcli = spawn(process.execPath, [CLI, 'workspace', 'forward', id, 'web'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let fOut = '';
    let fErr = '';
    fcli.stdout.on('data', (d: Buffer) => (fOut += d.toString()));
    fcli.stderr.on('data', (d: Buffer) => (fErr += d.toString()));
    const fExit = new Promise<number | null>((r) => fcli.once('exit', (code) => r(code)));
    // Two pipes, no order between them: wait for each on its own.
    await until('the CLI port on stdout', () => /^\d+\n/.test(fOut), 30_000);
    await until('the CLI banner on stderr', () => /Ctrl-C/.test(fErr), 30_000);
    const webLocal = Number(fOut.trim());
    const page = await fetch(`http://127.0.0.1:${webLocal}/hello`);
    t.equal(await page.text(), 'web /hello\n', 'web through `workspace forward`');
    t.match((await services(id)).find((s) => s.name === 'web')!.forwards, [
      { localPort: webLocal },
    ]);
    fcli.kill('SIGINT');
    t.equal(await fExit, 0, fErr);
    t.notOk(await listening(webLocal), 'Ctrl-C closed the forward');
    t.equal(
      (await call('POST', `/api/v1/workspaces/${id}/services/worker/port-forward`, {})).status,
      400,
      'a service without a port has nothing to forward to',
    );

    // ------------------------------------------------ periodic checks see a service die
    const dbPid = Number(readFileSync(path.join(dirA, 'svc-db.pid'), 'utf8'));
    process.kill(dbPid, 'SIGKILL');
    await until('db unhealthy', async () =>
      (await services(id)).some((s) => s.name === 'db' && s.status === 'unhealthy'),
    );
    const dbNow = (await services(id)).find((s) => s.name === 'db')!;
    t.match(dbNow.lastError, /cannot connect/);
    t.equal((await call('GET', `/api/v1/workspaces/${id}`)).json.status, 'running');

    // ------------------------------------------------ stop: services and forwards go
    const stopped = await call('PATCH', `/api/v1/workspaces/${id}/status`, { action: 'stop' });
    t.equal(stopped.status, 200, JSON.stringify(stopped.json));
    t.same(stopped.json.serviceStatus, { web: 'stopped', worker: 'stopped', db: 'stopped' });
    t.notOk(await listening(fwd.json.localPort as number), 'the forward closed with the stop');
    t.notOk(await listening(webPort), 'web stopped');
    t.same(
      processesWith(svcJs).filter((p) => processesWith(dirA).includes(p)),
      [],
      'no service runs',
    );

    // Start again: everything comes back healthy, in order.
    t.equal(
      (await call('PATCH', `/api/v1/workspaces/${id}/status`, { action: 'start' })).status,
      202,
    );
    const again = await waitStatus(id, 'running');
    t.same(again.serviceStatus, { web: 'healthy', worker: 'healthy', db: 'healthy' });
    const fwd2 = await call('POST', `/api/v1/workspaces/${id}/services/db/port-forward`, {});
    t.equal(await greeting(fwd2.json.localPort as number), 'db here\n');

    // ------------------------------------------------ a failing check: failed, cleaned up
    const bad = await call('POST', '/api/v1/workspaces', {
      user: 'ada',
      name: 'broken',
      provider: 'process',
      services: [
        { name: 'ok', port: okPort, command: cmd('ok') },
        {
          name: 'bad',
          port: badPort,
          command: cmd('bad'),
          dependencies: ['ok'],
          healthCheck: { type: 'http', path: '/' },
        },
      ],
    });
    t.equal(bad.status, 201, JSON.stringify(bad.json));
    const badId = bad.json.id as string;
    const failed = await waitStatus(badId, 'failed');
    t.match(failed.lastError, /service bad is not healthy after 20000 ms: GET \/ answered 500/);
    t.notOk(existsSync(path.join(wsDir, badId)), 'its directory is removed');
    t.notOk(await listening(okPort), 'the service that was healthy is stopped too');
    t.notOk(await listening(badPort));
    t.notOk(await listening(bad.json.sshPort as number), 'its sshd is stopped');
    t.same(processesWith(path.join(wsDir, badId)), [], 'no process of it is left');
    const badServices = await services(badId);
    t.match(
      badServices.find((s) => s.name === 'bad'),
      { status: 'stopped', lastError: /500/ },
    );
    t.equal((await call('DELETE', `/api/v1/workspaces/${badId}`)).status, 200);

    // ------------------------------------------------ delete leaves nothing
    const del = await cli('workspace', 'delete', id);
    t.equal(del.code, 0, del.stderr);
    t.notOk(await listening(fwd2.json.localPort as number), 'the forward closed with the delete');
    for (const p of [dbPort, webPort, running.sshPort as number])
      t.notOk(await listening(p), `nothing listens on ${p}`);
    t.notOk(existsSync(dirA), 'the directory is gone');
    t.same(processesWith(dirA), [], 'no process of it is left');
    t.equal((await call('GET', `/api/v1/workspaces/${id}/services`)).status, 404);
    t.equal((await call('GET', '/api/v1/status')).json.ports.used, 0, 'its port is free');

    // ------------------------------------------------ the event stream saw it all
    await until(
      'the deleted events',
      () => stream.events.filter((e) => e.type === 'workspace.deleted').length === 2,
    );
    const mine = stream.events.filter((e) => e.data.workspaceId === id);
    const kinds = mine.filter((e) => e.type !== 'workspace.service').map((e) => e.type);
    t.same(kinds, [
      'workspace.created',
      'workspace.running',
      'workspace.stopped',
      'workspace.running',
      'workspace.deleted',
    ]);
    const db = mine
      .filter((e) => e.type === 'workspace.service' && e.data.service === 'db')
      .map((e) => e.data.status);
    t.same(db.slice(0, 4), ['starting', 'healthy', 'unhealthy', 'stopped'], 'db health changes');
    t.ok(
      stream.events.some(
        (e) =>
          e.type === 'workspace.failed' &&
          e.data.workspaceId === badId &&
          /500/.test(e.data.lastError),
      ),
      'the failed workspace, with its reason',
    );

    // ------------------------------------------------ a restart while creating: resumed
    stream.close();
    const go = path.join(dir, 'go');
    const cut = await call('POST', '/api/v1/workspaces', {
      user: 'ada',
      name: 'resumed',
      provider: 'process',
      services: [
        {
          name: 'worker',
          command: cmd('worker'),
          healthCheck: { type: 'command', command: `test -f "${go}"` },
        },
      ],
    });
    t.equal(cut.status, 201, JSON.stringify(cut.json));
    const cutId = cut.json.id as string;
    const cutDir = path.join(wsDir, cutId);
    await until(
      'the service started and waiting for its check',
      async () =>
        (await services(cutId)).some((s) => s.status === 'starting') &&
        existsSync(path.join(cutDir, 'worker.ready')),
    );
    const before = processesWith(cutDir);
    t.ok(before.length > 0, 'the cut-off attempt runs on the node');
    hub.proc.kill('SIGKILL');
    await hub.exited;
    hub = await h.start();
    t.equal(
      (await call('GET', `/api/v1/workspaces/${cutId}`)).json.status,
      'creating',
      'still creating after the restart',
    );
    writeFileSync(go, '');
    const resumed = await waitStatus(cutId, 'running');
    t.same(resumed.serviceStatus, { worker: 'healthy' });
    t.equal(resumed.sshPort, cut.json.sshPort, 'the same port');
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    t.same(
      before.filter(alive),
      [],
      'what the cut-off attempt started was stopped before it was made afresh',
    );
    t.equal((await call('DELETE', `/api/v1/workspaces/${cutId}`)).status, 200);
    t.same(processesWith(cutDir), [], 'nothing of it is left');
    t.notOk(existsSync(cutDir));
  });
}
