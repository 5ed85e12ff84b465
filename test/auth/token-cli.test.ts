import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { CLI, hubProcess, type HubChild } from '../helpers/hub-process.js';
import { freePort } from '../helpers/free-port.js';
import { tempDir } from '../helpers/temp-dir.js';
import { RawClient } from '../helpers/raw-client.js';

const run = promisify(execFile);
// The CLI finds the hub from the flags below and mints its own admin token from the secret.
const cliEnv = { ...process.env };
delete cliEnv.SWITCHBOARD_TOKEN;
delete cliEnv.SWITCHBOARD_URL;

/**
 * The CLI as a user runs it, against a real hub process in wal mode with its own data dir:
 * mint with an id, list, revoke while it runs (live sessions close), revoke while it is
 * stopped (applied at the next start), and every revocation survives a restart.
 */
async function cli(
  dir: string,
  httpPort: number,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [CLI, ...args, '--data-dir', dir, '--http-port', String(httpPort), '--host', '127.0.0.1'],
      { env: cliEnv, timeout: 20_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

t.test('token create / list / revoke through a real hub, across restarts', async (t) => {
  const dir = tempDir(t, 'sb-tokens-');
  const h = await hubProcess(t, { preset: 'production', args: ['--store', 'wal'], dataDir: dir });
  const { httpPort, wsUrl: ws } = h;
  let hub: HubChild | undefined;
  const start = async () => {
    hub = await h.start();
  };
  const stop = async () => {
    hub!.proc.kill('SIGTERM');
    t.equal(await hub!.exited, 0, 'hub stopped cleanly');
    hub = undefined;
  };

  await start(); // first run: creates the secret and prints the admin token
  t.notOk(hub!.output().includes('"id"'), 'nothing about token ids in the log');

  const create = (...flags: string[]) => cli(dir, httpPort, 'token', 'create', ...flags, '--json');
  const a = await create(
    '--role',
    'worker',
    '--subject',
    'ci',
    '--queues',
    'emails',
    '--ttl',
    '30d',
  );
  t.equal(a.code, 0, a.stderr);
  const minted = JSON.parse(a.stdout) as {
    id: string;
    token: string;
    expiresAt: number;
    role: string;
  };
  t.match(minted.id, /^[A-Za-z0-9_-]{22}$/);
  t.equal(minted.role, 'worker');
  t.ok(minted.expiresAt > Date.now() + 29 * 86_400_000, 'expires in 30 days');
  const b = await create('--role', 'producer', '--subject', 'app');
  const other = JSON.parse(b.stdout) as { id: string; token: string };
  const c = await create('--role', 'producer', '--subject', 'batch');
  const third = JSON.parse(c.stdout) as { id: string; token: string };

  const file = path.join(dir, 'tokens.jsonl');
  t.equal(statSync(file).mode & 0o777, 0o600, 'tokens.jsonl is 0600');
  const recorded = readFileSync(file, 'utf8');
  t.ok(recorded.includes(minted.id), 'the id is recorded');
  t.notOk(recorded.includes(minted.token), 'the token itself is never recorded');
  t.notOk(recorded.includes(minted.token.split('.')[2]!), 'not even its signature');

  const list = await cli(dir, httpPort, 'token', 'list');
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, /ID\s+ROLE\s+SUBJECT\s+QUEUES\s+ISSUED\s+EXPIRES\s+STATE/);
  t.match(
    list.stdout,
    new RegExp(`${minted.id}\\s+worker\\s+ci\\s+emails\\s+\\S+\\s+\\S+\\s+valid`),
  );
  t.match(list.stdout, /admin\s+first-run\s+\*/, 'the first-run admin token is listed');
  t.notOk(list.stdout.includes(minted.token), 'no token in the listing');

  // Revoke while the hub runs: the live session goes at once.
  const live = await RawClient.open(ws, minted.token);
  const rev = await cli(dir, httpPort, 'token', 'revoke', minted.id, '--reason', 'leaked');
  t.equal(rev.code, 0, rev.stderr);
  t.match(rev.stdout, /1 open session\(s\) closed/);
  t.equal(await live.closed(1000), 4004, 'the live session was closed with 4004');
  const listed = JSON.parse((await cli(dir, httpPort, 'token', 'list', '--json')).stdout);
  const row = listed.tokens.find((x: { id: string }) => x.id === minted.id);
  t.equal(row.revoked, true);
  t.equal(row.revokedBy, 'id');
  t.equal(listed.source, 'hub');

  // Restart: the revocation is in the WAL.
  await stop();
  await start();
  const refused = await RawClient.connect(ws);
  refused.send({ t: 'hello', id: 1, protocol: 1, token: minted.token });
  t.equal(await refused.closed(), 4001, 'still refused after a restart');
  t.equal(refused.closeReason, 'unauthorized: token revoked');
  const fine = await RawClient.open(ws, other.token);
  fine.close();

  // Revoke while no hub runs: the CLI records it; the next start applies it before any port.
  await stop();
  const offline = await cli(dir, httpPort, 'token', 'revoke', '--subject', 'app');
  t.equal(offline.code, 0, offline.stderr);
  t.match(offline.stdout, /no hub answered .* revocation recorded in .*revocations\.jsonl/);
  t.equal(statSync(path.join(dir, 'revocations.jsonl')).mode & 0o777, 0o600);
  const offList = await cli(dir, httpPort, 'token', 'list');
  t.match(offList.stdout, new RegExp(`${other.id}.*revoked`), 'offline list shows it');
  t.match(offList.stdout, /hub not reachable/);
  await start();
  const gone = await RawClient.connect(ws);
  gone.send({ t: 'hello', id: 1, protocol: 1, token: other.token });
  t.equal(await gone.closed(), 4001, 'the offline revocation is in force after the start');
  const kept = await RawClient.open(ws, third.token);
  kept.close();
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/tasks?limit=1`, {
    headers: { authorization: `Bearer ${other.token}` },
  });
  t.equal(res.status, 401);

  // Once applied it lives in the hub's own state too: a second restart still refuses both.
  await stop();
  await start();
  for (const token of [minted.token, other.token]) {
    const again = await RawClient.connect(ws);
    again.send({ t: 'hello', id: 1, protocol: 1, token });
    t.equal(await again.closed(), 4001);
  }
  const usage = await cli(dir, httpPort, 'token', 'revoke');
  t.equal(usage.code, 2, 'revoke with neither id nor subject is a usage error');
  await stop();
});

t.test('offline revoke refuses to write the file while a hub holds the data dir', async (t) => {
  const dir = tempDir(t, 'sb-tokens-');
  const h = await hubProcess(t, { args: ['--store', 'wal'], dataDir: dir });
  await h.start();
  const wrongPort = await freePort();
  const res = await cli(dir, wrongPort, 'token', 'revoke', '--subject', 'x');
  t.equal(res.code, 3, 'unreachable');
  t.match(res.stderr, /a hub \(pid \d+\) is running on .*pass its --url/);
  let exists = true;
  try {
    statSync(path.join(dir, 'revocations.jsonl'));
  } catch {
    exists = false;
  }
  t.notOk(exists, 'no revocation file written that the running hub would not see');
});

t.test(
  'a minted token id never starts with "-" (the CLI would read it as an option)',
  async (t) => {
    const { newTokenId } = await import('../../server/auth/tokens.js');
    let leading = 0;
    for (let i = 0; i < 5000; i++) if (newTokenId().startsWith('-')) leading++;
    t.equal(leading, 0, '5000 ids, none with a leading dash (about 78 expected by chance)');
  },
);
