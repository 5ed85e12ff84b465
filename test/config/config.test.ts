import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import t from 'tap';
import {
  ConfigError,
  loadConfig,
  loadOrCreateSecret,
  renderConfigYaml,
  renderInitFile,
} from '../../server/config/index.js';
import type { Teardown } from '../helpers/teardown.js';
import { tempDir } from '../helpers/temp-dir.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const tmp = (t: Teardown): string => tempDir(t, 'sb-cfg-');

t.test('defaults are the durable, authenticated production preset', async (t) => {
  const { config } = loadConfig({ env: {}, noDefaultFile: true });
  t.equal(config.preset, 'production');
  t.equal(config.store.mode, 'wal');
  t.equal(config.store.fsync, 'always');
  t.equal(config.auth.enabled, true);
  t.equal(config.server.wsPort, 9501);
  t.equal(config.server.httpPort, 9500);
  const dev = loadConfig({ env: {}, noDefaultFile: true, preset: 'development' }).config;
  t.equal(dev.store.mode, 'memory');
  t.equal(dev.auth.enabled, false);
  t.equal(dev.server.host, '127.0.0.1');
  t.equal(
    loadConfig({ env: {}, noDefaultFile: true, preset: 'throughput' }).config.store.fsync,
    'interval',
  );
});

t.test('precedence: defaults < preset < file < environment < flags', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'sb.yaml');
  writeFileSync(
    file,
    'preset: development\nserver:\n  wsPort: 1111\n  httpPort: 2222\n  host: 10.0.0.1\nstore:\n  dataDir: /from/file\n',
  );
  const fileOnly = loadConfig({ file, env: {} }).config;
  t.equal(fileOnly.preset, 'development', 'the file chooses the preset');
  t.equal(fileOnly.store.mode, 'memory', 'preset values apply');
  t.equal(fileOnly.server.host, '10.0.0.1', 'file beats preset');
  t.equal(fileOnly.server.wsPort, 1111);
  const withEnv = loadConfig({
    file,
    env: { SWITCHBOARD_WS_PORT: '3333', SWITCHBOARD_STORE_MODE: 'wal' },
  }).config;
  t.equal(withEnv.server.wsPort, 3333, 'env beats file');
  t.equal(withEnv.server.httpPort, 2222, 'file values not overridden stay');
  t.equal(withEnv.store.mode, 'wal');
  const withFlags = loadConfig({
    file,
    env: { SWITCHBOARD_WS_PORT: '3333' },
    overrides: { server: { wsPort: 4444 } },
    preset: 'production',
  }).config;
  t.equal(withFlags.server.wsPort, 4444, 'flags beat env');
  t.equal(withFlags.preset, 'production', '--preset beats the file');
  t.equal(withFlags.auth.enabled, true);
  t.equal(withFlags.store.dataDir, '/from/file', 'the file still applies under another preset');
});

t.test('a bad config lists every error with its path and what was expected', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'bad.yaml');
  writeFileSync(
    file,
    'server:\n  wsPort: 99999\n  hots: x\nstore:\n  mode: tape\nauth:\n  secret: short\n',
  );
  const err = (() => {
    try {
      loadConfig({ file, env: { SWITCHBOARD_HTTP_PORT: 'eighty' } });
    } catch (e) {
      return e;
    }
    return undefined;
  })() as ConfigError;
  t.type(err, ConfigError);
  const msg = err.message;
  t.match(msg, /server\.wsPort: .*(65535|too big).*got 99999/i);
  t.match(msg, /server\.hots: unknown key/);
  t.match(msg, /store\.mode: .*got "tape"/);
  t.match(
    msg,
    /auth\.secret: must be at least 32 characters \(got \[redacted\]\)/,
    'the secret is never echoed',
  );
  t.match(msg, /server\.httpPort: .*got "eighty"/);
  t.equal(err.issues.length, 5, 'every problem, not just the first');
});

t.test('YAML syntax errors give the line', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'broken.yaml');
  writeFileSync(file, 'server:\n  wsPort: 1\n   httpPort: 2\n');
  t.throws(
    () => loadConfig({ file, env: {} }),
    /broken\.yaml: YAML syntax error at line 2, column \d+/,
  );
});

t.test('secret: created 0600 on first use, then reused; redacted when printed', async (t) => {
  const dir = path.join(tmp(t), 'data');
  const a = loadOrCreateSecret(dir);
  t.equal(a.created, true);
  t.equal(statSync(a.file).mode & 0o777, 0o600);
  t.ok(a.secret.length >= 48);
  const b = loadOrCreateSecret(dir);
  t.equal(b.created, false);
  t.equal(b.secret, a.secret);
  const { config } = loadConfig({
    env: { SWITCHBOARD_AUTH_SECRET: 'x'.repeat(40) },
    noDefaultFile: true,
  });
  const yaml = renderConfigYaml(config);
  t.notMatch(yaml, /xxxxxxxx/);
  t.match(yaml, /secret: "?\[redacted\]"?/);
});

t.test('the commented example config is valid and in sync with deployment/', async (t) => {
  const text = renderInitFile();
  t.equal(
    readFileSync(path.join(here, '../../deployment/switchboard.example.yaml'), 'utf8'),
    text,
    'deployment/switchboard.example.yaml is generated from renderInitFile()',
  );
  const dir = tmp(t);
  const file = path.join(dir, 'init.yaml');
  writeFileSync(file, text);
  const { config } = loadConfig({ file, env: {} });
  t.same(
    config,
    loadConfig({ env: {}, noDefaultFile: true }).config,
    'the example spells out the defaults',
  );
  t.type(parse(text), 'object');
});
