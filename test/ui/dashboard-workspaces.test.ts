/**
 * The workspaces page against a real OpenSSH node: a hub process (from dist/, auth on), a
 * node that is a real sshd running the process provider (a workspace is its own sshd on the
 * allocated port), a workspace created through the API, then stopped, started and deleted
 * with the page's buttons, each checked on the page and against the hub's REST answer and
 * the workspace's SSH port.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { chromium } from 'playwright-core';
import { mintToken } from '../../server/auth/index.js';
import { generateEd25519KeyPair } from '../../server/nodes/index.js';
import { buildUi } from '../../scripts/build-ui.js';
import { shootPage } from '../helpers/dashboard.js';
import { hubProcess } from '../helpers/hub-process.js';
import { requireTool } from '../helpers/requires.js';
import { restCall } from '../helpers/rest-call.js';
import { TestSshd } from '../helpers/sshd.js';

const SECRET = 'dashboard-workspaces-secret-0123456789abcdef';

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

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

if (requireTool('chromium', 'sshd')) {
  t.test('start, stop and delete a workspace on a real node from the page', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-ui-ws-'));
    const ui = path.join(dir, 'ui');
    await buildUi(path.resolve('.'), ui);
    const sshd = await TestSshd.start();
    t.teardown(() => sshd.stop());
    const bootstrap = generateEd25519KeyPair();
    sshd.authorize(bootstrap.public);
    const base = await freeRange(4);
    writeFileSync(
      path.join(dir, 'hub.yaml'),
      [
        'server:',
        `  ui: { dir: ${JSON.stringify(ui)} }`,
        'nodes:',
        '  ssh:',
        '    trustOnFirstUse: true',
        'workspaces:',
        `  sshPorts: { from: ${base}, to: ${base + 3} }`,
        '  healthTimeoutMs: 30000',
        '',
      ].join('\n'),
    );
    const h = await hubProcess(t, {
      preset: 'development',
      args: ['--config', path.join(dir, 'hub.yaml')],
      dataDir: path.join(dir, 'data'),
      env: { SWITCHBOARD_AUTH: 'true', SWITCHBOARD_AUTH_SECRET: SECRET },
    });
    await h.start();
    const admin = await mintToken(SECRET, { role: 'admin', subject: 'ops' });
    const rest = (method: string, p: string, body?: unknown) =>
      restCall(`${h.httpUrl}${p}`, method, { body, token: admin });

    // The node (the real sshd, process provider) and a user, through the API.
    const node = await rest('POST', '/api/v1/nodes', {
      name: 'box',
      address: '127.0.0.1',
      sshUser: sshd.user,
      sshPort: sshd.port,
      providers: ['process'],
    });
    t.equal(node.status, 201, 'the node registered');
    const key = await rest('POST', '/api/v1/nodes/box/install-key', {
      privateKey: bootstrap.private,
      authorizedKeysFile: sshd.authorizedKeys,
    });
    t.equal(key.status, 200, "the hub's key installed on the node's sshd");
    const wsDir = path.join(dir, 'workspaces');
    t.equal(
      (
        await rest('PUT', '/api/v1/nodes/box', {
          metadata: { workspaceDir: wsDir, workspaceListen: '127.0.0.1' },
        })
      ).status,
      200,
      'the node told where workspaces live',
    );
    const user = await rest('POST', '/api/v1/users/register-github', {
      username: 'ada',
      githubId: 583231,
      email: 'ada@example.com',
      sshPublicKey: generateEd25519KeyPair().public,
    });
    t.equal(user.status, 201, 'the user registered');
    const created = await rest('POST', '/api/v1/workspaces', {
      user: 'ada',
      name: 'dev',
      provider: 'process',
    });
    t.equal(created.status, 201, 'the workspace created through the API');
    const id = created.json.id as string;
    const port = created.json.sshPort as number;
    const status = async () => (await rest('GET', `/api/v1/workspaces/${id}`)).json.status;

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox'],
    });
    t.teardown(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Every action asks first (confirm); an alert would be the API's refusal.
    const alerts: string[] = [];
    page.on('dialog', (d) => {
      if (d.type() === 'alert') alerts.push(d.message());
      void d.accept();
    });
    await page.goto(`${h.httpUrl}/`);
    await page.fill('#token', admin);
    await page.click('button[type=submit]');
    await page.click('a[href="#/workspaces"]');
    const row = page.locator('tr[data-workspace=dev]');
    const rowStatus = row.locator('td[data-label=status]');
    const until = (s: string) =>
      page.waitForFunction(
        (s) =>
          document
            .querySelector('tr[data-workspace=dev] td[data-label=status]')
            ?.textContent?.trim()
            .startsWith(s),
        s,
        { timeout: 40_000 },
      );
    await until('running');
    t.equal(await status(), 'running', 'running on the page as on the hub');
    t.match(
      await row.locator('td[data-label=ssh]').textContent(),
      `ssh -p ${port} ${sshd.user}@127.0.0.1`,
      'the ssh line',
    );
    t.ok(await listening(port), "the workspace's sshd answers");
    t.equal(await shootPage(page, 'workspaces-ssh'), 0, 'no sideways scroll at 360 px');

    await row.locator('button', { hasText: 'Stop' }).click();
    await until('stopped').catch(async (err: Error) => {
      throw new Error(
        `${err.message}; hub: ${await status()}; row: ${await row.textContent()}; alerts: ${alerts.join(' | ')}`,
      );
    });
    t.equal(await status(), 'stopped', 'Stop: stopped on the hub');
    t.notOk(await listening(port), "Stop: the workspace's sshd is gone");
    await row.locator('button', { hasText: 'Start' }).click();
    await until('running');
    t.equal(await status(), 'running', 'Start: running again');
    t.ok(await listening(port), "Start: the workspace's sshd answers again");
    t.match(await rowStatus.textContent(), /running/, 'the page says running');

    await row.locator('button', { hasText: 'Delete' }).click();
    await row.waitFor({ state: 'detached', timeout: 40_000 });
    t.equal((await rest('GET', `/api/v1/workspaces/${id}`)).status, 404, 'Delete: gone');
    t.notOk(await listening(port), "Delete: the workspace's sshd is gone");
    t.same(alerts, [], 'no action was refused');
  });
}
