/**
 * Port forwards, the background probe, node keys, the seed's field names, GET /ws and CORS,
 * against a real OpenSSH sshd and a real hub process. The "node" is this machine seen
 * through sshd: a forward to 127.0.0.1:<echo> reaches an echo server of this test.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { generateEd25519KeyPair } from '../../server/nodes/index.js';
import { CLI, hubProcess } from '../helpers/hub-process.js';
import { requireTool } from '../helpers/requires.js';
import { SseClient } from '../helpers/sse-client.js';
import { TestSshd } from '../helpers/sshd.js';
import { tempDir } from '../helpers/temp-dir.js';
import { sleep, until } from '../helpers/wait.js';

const run = promisify(execFile);
const PROBE_MS = 500;

/** An echo server: what a service on the node would be. */
async function echoServer(): Promise<Server & { port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(server, { port: (server.address() as { port: number }).port });
}

/** Send `data`, half-close, and read everything back until the far side closes. */
function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.once('error', reject);
    s.once('close', () => resolve(Buffer.concat(chunks)));
    s.once('connect', () => s.end(data));
  });
}

/** Resolves to the error code when nothing listens (ECONNREFUSED), or 'open'. */
function probePort(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** An open connection through the forward that has carried one echo. */
async function liveConnection(port: number): Promise<{ socket: Socket; ended: Promise<void> }> {
  const s = createConnection({ host: '127.0.0.1', port });
  s.on('error', () => undefined);
  const ended = new Promise<void>((r) => s.once('close', () => r()));
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.write('ping');
  await new Promise<void>((r) => s.once('data', () => r()));
  return { socket: s, ended };
}

if (requireTool('sshd')) {
  t.test('port forwards, probe, node keys, aliases, /ws and CORS on a real sshd', async (t) => {
    const sshd = await TestSshd.start();
    t.teardown(() => sshd.stop());
    const echo = await echoServer();
    t.teardown(() => echo.close());
    const dir = tempDir(t, 'sb-forward-');
    const dataDir = path.join(dir, 'data');
    const bootstrap = generateEd25519KeyPair();
    sshd.authorize(bootstrap.public);
    writeFileSync(
      path.join(dir, 'hub.yaml'),
      [
        'server:',
        '  cors:',
        '    origins: ["https://dash.example.com"]',
        '    maxAgeSeconds: 120',
        'nodes:',
        '  ssh:',
        '    trustOnFirstUse: true',
        '    connectTimeoutMs: 2000',
        '  forwards:',
        '    maxPerNode: 3',
        '    maxConnections: 4',
        '  probe:',
        `    intervalMs: ${PROBE_MS}`,
        '    timeoutMs: 2000',
        '',
      ].join('\n'),
    );
    const h = await hubProcess(t, {
      preset: 'development',
      args: ['--config', path.join(dir, 'hub.yaml')],
      dataDir,
      env: { SWITCHBOARD_LOG_LEVEL: 'debug' },
    });
    const child = await h.start();
    const api = h.httpUrl;
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${api}${p}`, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, json: (text ? JSON.parse(text) : undefined) as any };
    };
    const events = new SseClient(`${api}/ws?types=node.*`);
    await events.start();
    t.teardown(() => events.close());

    // ---------------------------------------------------------------- the seed's field names
    t.equal(
      (await call('POST', '/api/v1/nodes', { name: 'x', sshUser: 'a', user: 'b' })).status,
      400,
      'user and sshUser that disagree: 400',
    );
    const reg = await call('POST', '/api/v1/nodes', {
      name: 'box',
      address: '127.0.0.1',
      user: sshd.user,
      port: sshd.port,
      provider: 'process',
    });
    t.equal(reg.status, 201, JSON.stringify(reg.json));
    t.equal(reg.json.sshUser, sshd.user, '`user` is sshUser');
    t.equal(reg.json.sshPort, sshd.port, '`port` is sshPort');
    t.equal(reg.json.sshKey, null, "no key of its own: the hub's");
    const moved = await call('PUT', '/api/v1/nodes/box', { port: sshd.port, user: sshd.user });
    t.equal(moved.status, 200, 'the aliases in PUT too');
    const key = await call('POST', '/api/v1/nodes/box/install-key', {
      privateKey: bootstrap.private,
      authorizedKeysFile: sshd.authorizedKeys,
    });
    t.equal(key.status, 200, JSON.stringify(key.json));

    // ---------------------------------------------------------------- the probe
    await until(() => events.events.some((e) => e.data.data.status === 'connected'), 10_000);
    t.pass('the probe connects the node without any command');
    t.equal((await call('GET', '/api/v1/nodes/box/status')).json.status, 'connected');

    // ---------------------------------------------------------------- a forward
    const opened = await call('POST', '/api/v1/nodes/box/forwards', { port: echo.port });
    t.equal(opened.status, 201, JSON.stringify(opened.json));
    const fwd = opened.json as { id: string; localPort: number; bindHost: string; host: string };
    t.equal(fwd.bindHost, '127.0.0.1');
    t.equal(fwd.host, '127.0.0.1');
    t.ok(fwd.localPort > 0);
    const big = Buffer.alloc(256 * 1024, 7);
    big.write('head');
    t.same(await roundTrip(fwd.localPort, big), big, '256 KiB there and back through sshd');

    // Several at once, each with its own bytes.
    const payloads = [1, 2, 3, 4].map((i) => Buffer.alloc(64 * 1024 + i, i));
    const back = await Promise.all(payloads.map((p) => roundTrip(fwd.localPort, p)));
    t.ok(
      back.every((b, i) => b.equals(payloads[i]!)),
      'four connections at once, none mixed up',
    );
    // maxConnections: 4 live, the fifth is closed at once.
    const live = await Promise.all([1, 2, 3, 4].map(() => liveConnection(fwd.localPort)));
    const fifth = createConnection({ host: '127.0.0.1', port: fwd.localPort });
    fifth.on('error', () => undefined);
    await new Promise<void>((r) => fifth.once('close', () => r()));
    const list = await call('GET', '/api/v1/nodes/box/forwards');
    t.equal(list.json.forwards.length, 1);
    t.equal(list.json.forwards[0].connections, 4, 'four live');
    t.equal(list.json.forwards[0].refusedConnections, 1, 'the fifth refused');
    t.ok(list.json.forwards[0].bytesIn >= big.length, 'bytes counted');

    // ---------------------------------------------------------------- sshd restarts
    await sshd.down();
    await Promise.all(live.map((s) => s.ended));
    t.pass('live connections end with the SSH connection under them');
    await until(() => events.events.some((e) => e.data.data.status === 'offline'), PROBE_MS * 4);
    t.pass('the node is offline (the pool saw the connection drop)');
    t.equal((await call('GET', '/api/v1/nodes/box/status')).json.status, 'offline');
    t.equal(await probePort(fwd.localPort), 'open', 'the forward still listens');
    await sleep(PROBE_MS * 2);
    t.equal(
      (await call('GET', '/api/v1/nodes/box/status')).json.status,
      'offline',
      'the probe keeps it offline while sshd is down',
    );
    const seen = events.events.length;
    await sshd.up();
    await until(
      () => events.events.slice(seen).some((e) => e.data.data.status === 'connected'),
      PROBE_MS * 6,
    );
    t.pass('the probe marks it connected again');
    t.same(
      await roundTrip(fwd.localPort, Buffer.from('after restart')),
      Buffer.from('after restart'),
      'a new connection uses the new SSH connection',
    );

    // ---------------------------------------------------------------- bounds and errors
    const more = [];
    for (let i = 0; i < 2; i++)
      more.push(await call('POST', '/api/v1/nodes/box/forwards', { port: echo.port }));
    t.ok(more.every((m) => m.status === 201));
    const over = await call('POST', '/api/v1/nodes/box/forwards', { port: echo.port });
    t.equal(over.status, 409);
    t.equal(over.json.error.code, 'FORWARD_LIMIT');
    const taken = await call('DELETE', `/api/v1/nodes/box/forwards/${more[1]!.json.id}`);
    t.equal(taken.status, 200);
    const clash = await call('POST', '/api/v1/nodes/box/forwards', {
      port: echo.port,
      localPort: fwd.localPort,
    });
    t.equal(clash.status, 409);
    t.equal(clash.json.error.code, 'PORT_IN_USE');
    t.equal(
      (await call('DELETE', '/api/v1/nodes/box/forwards/fwd-nope')).status,
      404,
      'an unknown forward: 404',
    );

    // ---------------------------------------------------------------- DELETE closes it
    const del = await call('DELETE', `/api/v1/nodes/box/forwards/${fwd.id}`);
    t.same(del.json, { id: fwd.id, closed: true });
    t.equal(await probePort(fwd.localPort), 'ECONNREFUSED', 'the port refuses after DELETE');

    // ---------------------------------------------------------------- the CLI
    const cli = spawn(process.execPath, [CLI, 'node', 'forward', 'box', String(echo.port)], {
      env: { ...process.env, SWITCHBOARD_URL: api },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let cliOut = '';
    let cliErr = '';
    cli.stdout.on('data', (d: Buffer) => (cliOut += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (cliErr += d.toString()));
    const cliExit = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    // stdout and stderr are two pipes: the port can arrive before the banner does.
    await until(() => /^\d+\n/.test(cliOut) && /Ctrl-C/.test(cliErr), 15_000);
    const cliPort = Number(cliOut.trim());
    t.match(cliErr, /forwarding 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ on box .*Ctrl-C/);
    t.same(await roundTrip(cliPort, Buffer.from('via cli')), Buffer.from('via cli'));
    cli.kill('SIGINT');
    t.equal(await cliExit, 0, cliErr);
    t.equal(await probePort(cliPort), 'ECONNREFUSED', 'Ctrl-C removed the forward');
    const detached = await run(
      process.execPath,
      [CLI, 'node', 'forward', 'box', String(echo.port), '--detach', '--json'],
      { env: { ...process.env, SWITCHBOARD_URL: api } },
    );
    const kept = JSON.parse(detached.stdout) as { id: string; localPort: number };
    t.equal(await probePort(kept.localPort), 'open', '--detach leaves it open');
    const listed = await run(process.execPath, [CLI, 'node', 'forwards', 'box'], {
      env: { ...process.env, SWITCHBOARD_URL: api },
    });
    t.match(listed.stdout, new RegExp(kept.id));

    // ---------------------------------------------------------------- node removal
    const remaining = (await call('GET', '/api/v1/nodes/box/forwards')).json.forwards as {
      localPort: number;
    }[];
    t.equal(remaining.length, 2);
    const holding = await liveConnection(remaining[0]!.localPort);
    t.equal((await call('DELETE', '/api/v1/nodes/box')).status, 200);
    await holding.ended;
    for (const f of remaining)
      t.equal(await probePort(f.localPort), 'ECONNREFUSED', 'the node removed: its ports refuse');

    // ---------------------------------------------------------------- a node's own key
    const own = generateEd25519KeyPair();
    sshd.authorize(own.public);
    const keysDir = path.join(dataDir, 'ssh', 'keys');
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(keysDir, 'box2'), own.private, { mode: 0o644 });
    const box2 = await call('POST', '/api/v1/nodes', {
      name: 'box2',
      address: '127.0.0.1',
      sshUser: sshd.user,
      sshPort: sshd.port,
      sshKey: 'box2',
    });
    t.equal(box2.status, 201);
    t.equal(box2.json.sshKey, 'box2', 'the name is shown, never the key');
    const loose = await call('POST', '/api/v1/nodes/box2/commands', { type: 'exec', action: 'id' });
    t.equal(loose.status, 502, 'a key others may read is refused');
    t.match(loose.json.error.message, /chmod 600/);
    chmodSync(path.join(keysDir, 'box2'), 0o600);
    const ran = await call('POST', '/api/v1/nodes/box2/commands', {
      type: 'exec',
      action: 'echo own key',
    });
    t.equal(ran.json.stdout, 'own key\n', "the node's own key logs in");
    t.equal(
      (await call('POST', '/api/v1/nodes', { name: 'b3', sshKey: '../secret' })).status,
      400,
      'a path is not a key name',
    );
    const keyBody = own.private.split('\n')[1]!;
    t.notMatch(child.output(), keyBody, 'the key is in no log line');
    t.notMatch(JSON.stringify((await call('GET', '/api/v1/nodes')).json), keyBody);

    // ---------------------------------------------------------------- /ws and CORS
    t.ok(
      events.events.some((e) => e.event === 'node.status'),
      'GET /ws is the event stream (node.status events came through it)',
    );
    const pre = await fetch(`${api}/api/v1/nodes/box2/forwards`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://dash.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    t.equal(pre.status, 204, 'a preflight needs no token');
    t.equal(pre.headers.get('access-control-allow-origin'), 'https://dash.example.com');
    t.match(pre.headers.get('access-control-allow-methods'), /POST/);
    t.match(pre.headers.get('access-control-allow-methods'), /GET/, 'the methods of the path');
    t.match(pre.headers.get('access-control-allow-headers'), /authorization/);
    t.equal(pre.headers.get('access-control-max-age'), '120');
    const page = await fetch(`${api}/api/v1/nodes`, {
      headers: { origin: 'https://dash.example.com' },
    });
    t.equal(page.headers.get('access-control-allow-origin'), 'https://dash.example.com');
    const other = await fetch(`${api}/api/v1/nodes`, {
      headers: { origin: 'https://evil.example' },
    });
    t.equal(other.headers.get('access-control-allow-origin'), null, 'another origin gets none');
    const otherPre = await fetch(`${api}/api/v1/nodes`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    t.equal(otherPre.status, 405, 'nor a preflight');

    // ---------------------------------------------------------------- the hub stops
    const last = await call('POST', '/api/v1/nodes/box2/forwards', { port: echo.port });
    t.equal(last.status, 201);
    const lastConn = await liveConnection(last.json.localPort);
    child.proc.kill('SIGTERM');
    await child.exited;
    await lastConn.ended;
    t.equal(await probePort(last.json.localPort), 'ECONNREFUSED', 'the hub stopped: port closed');
  });
}
