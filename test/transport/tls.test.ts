import { execFile, execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { requireTool } from '../helpers/requires.js';
import { Producer, Worker } from '../../index.js';
import { hubFetch, type TlsClientOptions } from '../../client/hub-fetch.js';
import { freePort } from '../helpers/free-port.js';
import {
  CLI,
  hubAddress,
  hubStartArgs,
  runHubStart,
  spawnHubChild,
  waitUntilReady,
} from '../helpers/hub-process.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const MONITOR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/client/monitor/main.js',
);

const dir = tempDir(t, 'sb-tls-');
const f = (name: string): string => path.join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}
/** A CA, and leaf certificates it signs for 127.0.0.1 (servers) or a client name. */
function makeCa(name: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    f(`${name}.key`),
    '-out',
    f(`${name}.pem`),
  );
}
function makeLeaf(name: string, ca: string, subject: string, ext: string): void {
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    subject,
    '-keyout',
    f(`${name}.key`),
    '-out',
    f(`${name}.csr`),
  );
  writeFileSync(f(`${name}.ext`), `${ext}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    f(`${name}.csr`),
    '-CA',
    f(`${ca}.pem`),
    '-CAkey',
    f(`${ca}.key`),
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    f(`${name}.pem`),
    '-extfile',
    f(`${name}.ext`),
  );
}
// The certificates are made here, with openssl: without it the suite skips (one loud line).
const haveOpenssl = requireTool('openssl');
if (haveOpenssl) {
  makeCa('ca-a');
  makeCa('ca-b');
  makeLeaf('server-a', 'ca-a', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1');
  makeLeaf('server-b', 'ca-b', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1');
  makeLeaf('client-a', 'ca-a', '/CN=worker-a', 'extendedKeyUsage=clientAuth');
  makeLeaf('client-b', 'ca-b', '/CN=worker-b', 'extendedKeyUsage=clientAuth');
}
const pem = (name: string): Buffer => readFileSync(f(name));
const caA = haveOpenssl ? pem('ca-a.pem') : Buffer.alloc(0);
const caB = haveOpenssl ? pem('ca-b.pem') : Buffer.alloc(0);

interface TlsHub {
  proc: ChildProcess;
  output: () => string;
  wsPort: number;
  httpPort: number;
  wsUrl: string;
  httpUrl: string;
  certFile: string;
  keyFile: string;
  stop(): Promise<void>;
}

/** A real `switchboard start` child with TLS on both ports; ready when https /ready says so. */
async function startTlsHub(
  transport: 'uws' | 'ws' | 'auto',
  name: string,
  extra: string[] = [],
  client: TlsClientOptions = { ca: caA },
): Promise<TlsHub> {
  const address = await hubAddress();
  const { wsPort, httpPort } = address;
  // The hub reads these paths again on SIGHUP, as with certbot's live/ directory.
  const certFile = f(`${name}-cert.pem`);
  const keyFile = f(`${name}-key.pem`);
  copyFileSync(f('server-a.pem'), certFile);
  copyFileSync(f('server-a.key'), keyFile);
  const tlsArgs = ['--transport', transport, '--tls-cert', certFile, '--tls-key', keyFile];
  const child = spawnHubChild(
    hubStartArgs({ preset: 'development', args: [...tlsArgs, ...extra] }, address),
    { SWITCHBOARD_LOG_LEVEL: 'info', SWITCHBOARD_LOG_PRETTY: 'false' },
  );
  const { proc, output } = child;
  const httpUrl = `https://127.0.0.1:${httpPort}`;
  await waitUntilReady(
    child,
    async () => {
      const res = await hubFetch(`${httpUrl}/ready`, { tls: client });
      await res.text();
      return res.status === 200 && output().includes('websocket port listening');
    },
    { pollMs: 50, what: 'TLS hub' },
  );
  return {
    proc,
    output,
    wsPort,
    httpPort,
    wsUrl: `wss://127.0.0.1:${wsPort}`,
    httpUrl,
    certFile,
    keyFile,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await child.exited;
    },
  };
}

/** What a brand-new TLS connection to `port` is shown: the certificate's fingerprint and issuer. */
function peerCertificate(
  port: number,
  ca: Buffer,
): Promise<{ fingerprint: string; issuer: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca }, () => {
      const cert = socket.getPeerCertificate();
      resolve({ fingerprint: cert.fingerprint256, issuer: String(cert.issuer.CN) });
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

const fingerprintOf = (file: string): string => {
  const out = execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], {
    encoding: 'utf8',
  });
  return out.trim().split('=')[1]!;
};

async function getJson(
  url: string,
  tls: TlsClientOptions,
): Promise<{ status: number; body: unknown }> {
  const res = await hubFetch(url, { tls });
  return { status: res.status, body: await res.json() };
}

async function fetchError(url: string, tls: TlsClientOptions): Promise<string> {
  try {
    const res = await hubFetch(url, { tls });
    await res.text();
    return `answered ${res.status}`;
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    return cause?.code ?? cause?.message ?? (err as Error).message;
  }
}

async function waitForOutput(hub: TlsHub, re: RegExp, from: number, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const tail = hub.output().slice(from);
    if (re.test(tail)) return tail;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`hub never logged ${re}:\n${hub.output().slice(from)}`);
}

if (haveOpenssl) {
  for (const transport of ['uws', 'ws'] as const) {
    t.test(`TLS on both ports, ${transport} transport`, async (t) => {
      const hub = await startTlsHub(transport, `hub-${transport}`);
      t.teardown(() => hub.stop());
      t.match(hub.output(), new RegExp(`"transport":"${transport}"`), 'the transport asked for');

      const health = await getJson(`${hub.httpUrl}/health`, { ca: caA });
      t.equal(health.status, 200, 'https /health trusting the CA');
      t.match(health.body, { status: 'ok' });
      t.match(
        await fetchError(`${hub.httpUrl}/health`, {}),
        /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED/,
        'https /health with only the system CAs: certificate refused',
      );
      t.not(
        await fetchError(`http://127.0.0.1:${hub.httpPort}/health`, {}),
        'answered 200',
        'plain http:// to the TLS side port gets no answer',
      );
      await t.rejects(
        RawClient.connect(`ws://127.0.0.1:${hub.wsPort}`),
        'plain ws:// to the TLS WebSocket port fails',
      );

      // A real task end to end over wss:// through the SDK.
      const statuses: string[] = [];
      const worker = new Worker(
        { url: hub.wsUrl, ca: caA, queues: ['tls'], workerId: `w-tls-${transport}` },
        async (task) => ({ echoed: task.payload }),
      );
      worker.on('status', (s) => statuses.push(s.type));
      await worker.start();
      t.teardown(() => worker.close());
      const producer = new Producer({ url: hub.wsUrl, ca: caA });
      t.teardown(() => producer.close());
      const { id } = await producer.submit('tls', { n: 1 });
      t.same(await producer.result(id), { echoed: { n: 1 } }, 'task ran over wss://');

      // A client that trusts another CA is refused; the hub does not notice.
      const stranger = new Producer({ url: hub.wsUrl, ca: caB, reconnect: { enabled: false } });
      const refused = await stranger.start().then(
        () => 'connected',
        (err: Error) => err.message,
      );
      t.match(refused, /certificate/i, `wrong CA refused: ${refused}`);
      await stranger.close();
      t.equal((await getJson(`${hub.httpUrl}/health`, { ca: caA })).status, 200, 'hub healthy');
      const again = await producer.submit('tls', { n: 2 });
      t.same(await producer.result(again.id), { echoed: { n: 2 } }, 'and still runs tasks');

      // SIGHUP with a new certificate from another CA, in place.
      copyFileSync(f('server-b.pem'), hub.certFile);
      copyFileSync(f('server-b.key'), hub.keyFile);
      let from = hub.output().length;
      hub.proc.kill('SIGHUP');
      await waitForOutput(hub, /TLS certificate reloaded/, from);
      const expected = fingerprintOf(f('server-b.pem'));
      const wsCert = await peerCertificate(hub.wsPort, caB);
      t.same(wsCert, { fingerprint: expected, issuer: 'ca-b' }, 'new wss connection: new cert');
      const httpCert = await peerCertificate(hub.httpPort, caB);
      t.same(httpCert, { fingerprint: expected, issuer: 'ca-b' }, 'new https connection: new cert');
      // (Checked on a fresh socket: hubFetch keeps its keep-alive socket from before the reload.)
      await t.rejects(
        peerCertificate(hub.httpPort, caA),
        /unable to verify|self.signed/i,
        'the old CA no longer verifies new connections',
      );
      t.equal((await getJson(`${hub.httpUrl}/health`, { ca: caB })).status, 200);
      // The worker's connection (made under the old certificate) stayed open and still works.
      const producerB = new Producer({ url: hub.wsUrl, ca: caB });
      t.teardown(() => producerB.close());
      const after = await producerB.submit('tls', { n: 3 });
      t.same(await producerB.result(after.id), { echoed: { n: 3 } }, 'old worker ran a new task');
      t.same(
        await producer.result((await producer.submit('tls', { n: 4 })).id),
        { echoed: { n: 4 } },
        'the old producer connection works too',
      );
      t.notOk(
        statuses.includes('disconnected'),
        `worker never disconnected (${statuses.join(',')})`,
      );

      // A broken file on SIGHUP changes nothing and says which setting.
      writeFileSync(hub.certFile, 'not a certificate\n');
      from = hub.output().length;
      hub.proc.kill('SIGHUP');
      const tail = await waitForOutput(hub, /NOT reloaded/, from);
      t.match(tail, /server\.tls\.certFile/, 'the log names the setting');
      t.same(await peerCertificate(hub.wsPort, caB), wsCert, 'still serving the last good cert');
      t.equal((await getJson(`${hub.httpUrl}/health`, { ca: caB })).status, 200, 'still healthy');
      t.equal(hub.proc.exitCode, null, 'the hub is still running');
      t.notMatch(hub.output(), /BEGIN (RSA |EC )?PRIVATE KEY/, 'no key material in the log');
    });
  }

  t.test('CLI and monitor over https:// with --ca', async (t) => {
    const hub = await startTlsHub('auto', 'hub-cli');
    t.teardown(() => hub.stop());
    const env = { ...process.env, SWITCHBOARD_TOKEN: '', SWITCHBOARD_CA: '' };
    const ok = await run(
      process.execPath,
      [CLI, 'status', '--url', hub.httpUrl, '--ca', f('ca-a.pem'), '--json'],
      { env },
    );
    t.match(JSON.parse(ok.stdout), { health: { status: 'ok' } }, 'status with --ca');
    const bad = spawnSync(process.execPath, [CLI, 'status', '--url', hub.httpUrl], {
      env,
      encoding: 'utf8',
    });
    t.equal(bad.status, 3, 'untrusted certificate: exit 3 (unreachable)');
    t.match(bad.stderr, /--ca FILE/, 'and says how to fix it');
    t.notMatch(bad.stderr, /\n\s+at /, 'no stack trace');
    const mon = await run(
      process.execPath,
      [MONITOR, '--url', hub.httpUrl, '--ca', f('ca-a.pem'), '--json'],
      { env },
    );
    t.match(JSON.parse(mon.stdout), { stats: {} }, 'monitor --json over https:// with --ca');
  });

  t.test('mutual TLS: server.tls.caFile', async (t) => {
    const clientA = { ca: caA, cert: pem('client-a.pem'), key: pem('client-a.key') };
    const hub = await startTlsHub('auto', 'hub-mtls', ['--tls-ca', f('ca-a.pem')], clientA);
    t.teardown(() => hub.stop());
    t.match(
      hub.output(),
      /caFile[^\n]*needs the ws transport[^\n]*; using the ws transport/,
      'auto says ws',
    );

    t.equal(
      (await getJson(`${hub.httpUrl}/health`, clientA)).status,
      200,
      'https with client cert',
    );
    t.not(
      await fetchError(`${hub.httpUrl}/health`, { ca: caA }),
      'answered 200',
      'https without one: refused',
    );
    t.not(
      await fetchError(`${hub.httpUrl}/health`, {
        ca: caA,
        cert: pem('client-b.pem'),
        key: pem('client-b.key'),
      }),
      'answered 200',
      'https with a client cert from another CA: refused',
    );

    const worker = new Worker({ url: hub.wsUrl, ...clientA, queues: ['m'] }, async () => 'mtls');
    await worker.start();
    t.teardown(() => worker.close());
    const producer = new Producer({ url: hub.wsUrl, ...clientA });
    t.teardown(() => producer.close());
    t.equal(
      await producer.result((await producer.submit('m', {})).id),
      'mtls',
      'task over mutual TLS',
    );
    for (const [label, opts] of [
      ['no client certificate', { ca: caA }],
      [
        'a client certificate from another CA',
        { ca: caA, cert: pem('client-b.pem'), key: pem('client-b.key') },
      ],
    ] as const) {
      const p = new Producer({ url: hub.wsUrl, ...opts, reconnect: { enabled: false } });
      const outcome = await p.start().then(
        () => 'connected',
        () => 'refused',
      );
      await p.close();
      t.equal(outcome, 'refused', `wss with ${label}: refused`);
    }
    t.equal((await getJson(`${hub.httpUrl}/health`, clientA)).status, 200, 'hub healthy after');

    // uWebSockets.js cannot refuse a client without a certificate: asking for it is an error.
    const res = runHubStart(
      [
        '--preset',
        'development',
        '--transport',
        'uws',
        '--port',
        String(await freePort()),
        '--http-port',
        String(await freePort()),
        '--tls-cert',
        f('server-a.pem'),
        '--tls-key',
        f('server-a.key'),
        '--tls-ca',
        f('ca-a.pem'),
      ],
      { timeoutMs: 15_000 },
    );
    t.not(res.status, 0, 'transport uws with caFile does not start');
    t.match(
      res.stderr,
      /server\.tls\.caFile.*needs the ws transport/,
      res.stderr.trim().split('\n').pop(),
    );
    t.notMatch(res.stderr, /\n\s+at /, 'no stack trace');
  });

  t.test('unusable TLS files: a start error naming the setting', async (t) => {
    writeFileSync(f('garbage.pem'), 'hello\n');
    const cases: [string, string[], RegExp][] = [
      [
        'missing certificate',
        ['--tls-cert', f('nope.pem'), '--tls-key', f('server-a.key')],
        /server\.tls\.certFile: cannot read .*nope\.pem: no such file/,
      ],
      [
        'certificate not PEM',
        ['--tls-cert', f('garbage.pem'), '--tls-key', f('server-a.key')],
        /server\.tls\.certFile: .*garbage\.pem is not a PEM file/,
      ],
      [
        'key not PEM',
        ['--tls-cert', f('server-a.pem'), '--tls-key', f('garbage.pem')],
        /server\.tls\.keyFile: .*garbage\.pem is not a PEM file/,
      ],
      [
        'key of another certificate',
        ['--tls-cert', f('server-a.pem'), '--tls-key', f('server-b.key')],
        /server\.tls\.keyFile: .*server-b\.key is not the private key of the certificate/,
      ],
      [
        'a directory as CA',
        ['--tls-cert', f('server-a.pem'), '--tls-key', f('server-a.key'), '--tls-ca', dir],
        /server\.tls\.caFile: cannot read .*is a directory/,
      ],
      [
        'certificate without key',
        ['--tls-cert', f('server-a.pem')],
        /server\.tls\.keyFile: required when server\.tls is set/,
      ],
    ];
    for (const [label, args, re] of cases) {
      const res = runHubStart(
        ['--preset', 'development', '--port', '0', '--http-port', '0', ...args],
        { timeoutMs: 15_000 },
      );
      t.not(res.status, 0, `${label}: does not start`);
      t.match(res.stderr, re, `${label}: ${res.stderr.trim().split('\n').pop()}`);
      t.notMatch(res.stderr, /\n\s+at /, `${label}: no stack trace`);
    }
    // The environment names the same settings.
    const env = spawnSync(process.execPath, [CLI, 'config', '--preset', 'development', '--json'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        SWITCHBOARD_TLS_CERT: '/x/c.pem',
        SWITCHBOARD_TLS_KEY: '/x/k.pem',
        SWITCHBOARD_TLS_CA: '/x/ca.pem',
      },
    });
    t.match(
      env.stdout,
      /"certFile": "\/x\/c\.pem"[\s\S]*"keyFile": "\/x\/k\.pem"[\s\S]*"caFile": "\/x\/ca\.pem"/,
      'env vars map to server.tls',
    );
  });
}
