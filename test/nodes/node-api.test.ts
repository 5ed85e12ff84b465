import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { generateEd25519KeyPair } from '../../server/nodes/index.js';
import { CLI, hubProcess } from '../helpers/hub-process.js';
import { requireTool } from '../helpers/requires.js';
import { TestSshd } from '../helpers/sshd.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);

if (requireTool('sshd')) {
  t.test('nodes through the REST API and the CLI, against a real sshd', async (t) => {
    const sshd = await TestSshd.start();
    t.teardown(() => sshd.stop());
    const dir = tempDir(t, 'sb-nodeapi-');
    const bootstrap = generateEd25519KeyPair();
    sshd.authorize(bootstrap.public);
    writeFileSync(path.join(dir, 'bootstrap'), bootstrap.private, { mode: 0o600 });
    writeFileSync(path.join(dir, 'hub.yaml'), `nodes:\n  ssh:\n    trustOnFirstUse: true\n`);
    const h = await hubProcess(t, {
      preset: 'development',
      args: ['--config', path.join(dir, 'hub.yaml')],
      dataDir: path.join(dir, 'data'),
    });
    await h.start();
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
    const post = async (p: string, body: unknown) => {
      const res = await fetch(`${api}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, any> };
    };

    // The coordination server's exact shapes.
    const reg = await post('/api/v1/nodes', {
      id: 'node-1',
      name: 'Test Node',
      provider: 'docker',
    });
    t.equal(reg.status, 201);
    t.equal(reg.json.id, 'node-1');
    t.equal(reg.json.provider, 'docker');
    t.equal(reg.json.status, 'unknown');
    const noAddr = await post('/api/v1/nodes/node-1/commands', {
      type: 'exec',
      action: 'echo hello',
    });
    t.equal(noAddr.status, 502, 'a node without an address cannot run commands…');
    t.equal(noAddr.json.error.code, 'NODE_UNREACHABLE');
    t.match(noAddr.json.error.message, /no address/, '…and the error says why');
    const failed = noAddr.json.error.details.command as { id: string; status: string };
    t.equal(failed.status, 'error');
    t.equal(
      (
        (await fetch(`${api}/api/v1/commands/${failed.id}`).then((r) => r.json())) as {
          id: string;
        }
      ).id,
      failed.id,
      'the failed attempt is on record',
    );
    t.equal(
      (await post('/api/v1/nodes', { id: 'node-1', name: 'Other' })).status,
      409,
      'duplicate id is a conflict',
    );
    t.equal(
      (await post('/api/v1/nodes', { name: 'x', provider: 'vmware' })).status,
      400,
      'unknown provider is rejected',
    );

    // The CLI registers the real node and installs the hub key with the bootstrap key.
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
      '--label',
      'rack=a1',
      '--install-key',
      '--key',
      path.join(dir, 'bootstrap'),
      '--authorized-keys-file',
      sshd.authorizedKeys,
    );
    t.equal(add.code, 0, add.stderr);
    t.match(add.stdout, /node box registered as .*hub key installed/);

    const exec = await post('/api/v1/nodes/box/commands', { type: 'exec', action: 'echo hello' });
    t.equal(exec.status, 201);
    t.equal(exec.json.stdout, 'hello\n');
    t.equal(exec.json.exitCode, 0);
    t.equal(exec.json.status, 'succeeded');

    const literal = await cli('node', 'exec', 'box', '--', 'printf', '%s|', 'a b', '$(id)', 'c;d');
    t.equal(literal.code, 0, literal.stderr);
    t.equal(literal.stdout, 'a b|$(id)|c;d|', 'arguments passed literally through the CLI');
    const failing = await cli('node', 'exec', 'box', '--', 'sh', '-c', 'exit 3');
    t.equal(failing.code, 3, 'the remote exit code becomes the CLI exit code');

    const status = await cli('node', 'status', 'box');
    t.match(status.stdout, /status\s+connected/);
    const list = await cli('node', 'list');
    t.match(list.stdout, /box\s+\S+\s+\S+@127\.0\.0\.1:\d+\s+process\s+connected/);
    t.match(list.stdout, /Test Node/);

    const svcDir = path.join(dir, 'svc');
    const started = await post('/api/v1/nodes/box/commands', {
      type: 'start',
      action: 'web',
      args: { dir: svcDir, command: ['sleep', '60'] },
    });
    t.equal(started.json.status, 'succeeded', started.json.stderr);
    const put = await fetch(`${api}/api/v1/nodes/box`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { serviceDir: svcDir } }),
    });
    t.equal(put.status, 200);
    const services = (await fetch(`${api}/api/v1/services`).then((r) => r.json())) as {
      services: { name: string; nodeId: string; state: string }[];
    };
    t.ok(
      services.services.some((s) => s.name === 'web' && s.state === 'running'),
      'services across nodes include the running one',
    );
    await post('/api/v1/nodes/box/commands', {
      type: 'remove',
      action: 'web',
      args: { dir: svcDir },
    });

    const events = await fetch(`${api}/api/v1/events?lastEventId=0&types=node.*,command.*`, {
      signal: AbortSignal.timeout(1500),
    })
      .then(async (r) => {
        const reader = r.body!.getReader();
        let text = '';
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            text += Buffer.from(value).toString();
          }
        } catch {
          // aborted after the timeout: what we have is what the stream had
        }
        return text;
      })
      .catch(() => '');
    for (const type of ['node.registered', 'node.status', 'command.created', 'command.finished'])
      t.match(
        events,
        new RegExp(`event: ${type.replace('.', '\\.')}`),
        `${type} on the event stream`,
      );

    const rm = await cli('node', 'remove', 'box');
    t.equal(rm.code, 0);
    t.equal((await fetch(`${api}/api/v1/nodes/box`)).status, 404);
  });
}
