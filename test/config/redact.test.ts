import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { redactSecrets, redactUrl } from '../../server/config/index.js';
import { CLI } from '../helpers/hub-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);

/** Every marker here is a credential: none may appear in what `switchboard config` prints. */
const MARKERS = ['Pw0rdRedisMarker', 'SecretMarker', 'TokenMarker', 'LoneUserMarker'];

t.test('redactUrl: passwords, lone users and credential parameters', async (t) => {
  t.equal(
    redactUrl('redis://user:Pw0rd@10.0.0.5:6379/0'),
    'redis://user:[redacted]@10.0.0.5:6379/0',
  );
  t.equal(redactUrl('redis://:Pw0rd@cache:6379'), 'redis://:[redacted]@cache:6379');
  t.equal(redactUrl('rediss://LoneUser@cache'), 'rediss://[redacted]@cache');
  t.equal(
    redactUrl('https://hooks.example/x?access_token=Tok&page=2&sig=abc'),
    'https://hooks.example/x?access_token=[redacted]&page=2&sig=[redacted]',
  );
  t.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379', 'nothing to hide: as is');
  t.equal(redactUrl('./data'), './data', 'not a URL');
  t.equal(
    redactUrl('redis://u:p w@[bad'),
    'redis://[redacted]@[bad',
    'an unparseable URL loses what precedes the @',
  );
  t.same(
    redactSecrets({
      auth: { secret: 'S', secretFile: '/run/s' },
      nodes: { ssh: { keyFile: '/k', privateKey: 'PK' } },
      list: ['postgres://a:b@h/db'],
      n: 3,
    }),
    {
      auth: { secret: '[redacted]', secretFile: '/run/s' },
      nodes: { ssh: { keyFile: '/k', privateKey: '[redacted]' } },
      list: ['postgres://a:[redacted]@h/db'],
      n: 3,
    },
    'keys that name a secret; paths to one are kept',
  );
});

t.test('switchboard config and config --json print no credential', async (t) => {
  const dir = tempDir(t, 'sb-redact-');
  const file = path.join(dir, 'hub.yaml');
  writeFileSync(
    file,
    `redis:\n  url: "redis://app:Pw0rdRedisMarker@10.1.2.3:6379/2?token=TokenMarker"\n` +
      `store:\n  dataDir: ${JSON.stringify(path.join(dir, 'data'))}\n`,
  );
  const env = {
    ...process.env,
    SWITCHBOARD_AUTH_SECRET: 'SecretMarker-'.padEnd(40, 'x'),
  };
  for (const extra of [[], ['--json']]) {
    const { stdout, stderr } = await run(
      process.execPath,
      [CLI, 'config', '--config', file, ...extra],
      { env },
    );
    for (const m of MARKERS) t.notMatch(stdout + stderr, m, `${m} absent (${extra.join(' ')})`);
    t.match(stdout, /redis:\/\/app:\[redacted\]@10\.1\.2\.3:6379\/2\?token=\[redacted\]/);
    t.match(stdout, /secret"?: "?\[redacted\]/);
  }
  // The environment layer and a lone user (a password in the user field) alike.
  const { stdout } = await run(process.execPath, [CLI, 'config', '--config', file], {
    env: { ...env, SWITCHBOARD_REDIS_URL: 'redis://LoneUserMarker@cache:6379' },
  });
  t.notMatch(stdout, 'LoneUserMarker');
  t.match(stdout, 'redis://[redacted]@cache:6379');
});

t.test('a refused setting is named without showing the credential in it', async (t) => {
  const failed = await run(process.execPath, [CLI, 'config'], {
    env: { ...process.env, SWITCHBOARD_REDIS_URL: 'redis//app:Pw0rdRedisMarker@cache' },
  }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
  t.not(failed.code, 0);
  t.match(failed.stderr, /redis\.url: Invalid URL/);
  t.notMatch(failed.stderr, 'Pw0rdRedisMarker');
});
