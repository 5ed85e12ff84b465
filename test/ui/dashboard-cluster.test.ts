/**
 * The overview's hubs table on a real cluster: two hub processes (from dist/) on the local
 * Redis under a fresh key prefix, auth on with one shared secret, each serving the dashboard
 * built from source. Signed in on either hub (the edge forwards the page and the API to the
 * leader, and answers /health itself), the page lists both hubs with their roles and
 * addresses as GET /api/v1/cluster has them; a stopped edge leaves the list.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { chromium } from 'playwright-core';
import { mintToken } from '../../server/auth/index.js';
import { buildUi } from '../../scripts/build-ui.js';
import { REDIS_URL, startCluster } from '../helpers/cluster.js';
import { shootPage } from '../helpers/dashboard.js';
import { requireTool } from '../helpers/requires.js';

const SECRET = 'dashboard-cluster-secret-0123456789abcdef';

if (requireTool('chromium', 'redis')) {
  t.test('the overview lists the hubs of a cluster with their roles', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-ui-cluster-'));
    const ui = path.join(dir, 'ui');
    await buildUi(path.resolve('.'), ui);
    const config = path.join(dir, 'switchboard.yaml');
    writeFileSync(config, `server:\n  ui:\n    dir: ${JSON.stringify(ui)}\n`);
    const c = await startCluster(
      t,
      2,
      { SWITCHBOARD_AUTH: 'true', SWITCHBOARD_AUTH_SECRET: SECRET },
      REDIS_URL,
      ['--redis-url', REDIS_URL, '--config', config],
    );
    await c.start(0);
    await c.start(1);
    const lead = await c.leader();
    const edge = 1 - lead;
    const admin = await mintToken(SECRET, { role: 'admin', subject: 'ops' });
    const producer = await mintToken(SECRET, { role: 'producer', subject: 'app' });

    // The route, through the edge (forwarded to the leader): both hubs, the leader first.
    const get = (i: number, token?: string) =>
      fetch(`${c.hubs[i]!.httpUrl}/api/v1/cluster`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    t.equal((await get(edge)).status, 401, 'no token: 401');
    t.equal((await get(edge, producer)).status, 403, 'a producer may not list the hubs');
    let view: { engine: string; hubs: { hubId: string; role: string; httpUrl?: string }[] };
    // The edge writes its addresses at its first refresh after its ports opened.
    for (;;) {
      view = (await (await get(edge, admin)).json()) as typeof view;
      if (view.hubs.length === 2 && view.hubs.every((h) => h.httpUrl)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    t.equal(view.engine, 'redis');
    t.same(
      view.hubs.map((h) => [h.hubId, h.role, h.httpUrl]),
      [
        [`hub${lead}`, 'leader', c.hubs[lead]!.httpUrl],
        [`hub${edge}`, 'edge', c.hubs[edge]!.httpUrl],
      ],
      'the leader and the edge, each with its side port',
    );

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox'],
    });
    t.teardown(() => browser.close());
    for (const i of [lead, edge]) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${c.hubs[i]!.httpUrl}/`);
      await page.fill('#token', admin);
      await page.click('button[type=submit]');
      const as = i === lead ? 'the leader' : 'the edge';
      for (const [hub, role] of [
        [lead, 'leader'],
        [edge, 'edge'],
      ] as const) {
        const row = page.locator(`tr[data-hub-id=hub${hub}]`);
        await row.waitFor();
        t.equal(await row.getAttribute('data-role'), role, `on ${as}: hub${hub} is the ${role}`);
        t.match(
          await row.locator('td[data-label=addresses]').textContent(),
          c.hubs[hub]!.httpUrl,
          `on ${as}: hub${hub}'s address`,
        );
      }
      await page.waitForSelector('[data-hub]');
      t.match(
        await page.textContent('[data-hub]'),
        i === lead ? `cluster leader hub${lead}` : `cluster edge hub${edge}`,
        `on ${as}: the answering hub's own role from /health`,
      );
      t.match(
        await page.textContent(`tr[data-hub-id=hub${i}] td[data-label=hub]`),
        "this page's hub",
        `on ${as}: its own row is marked`,
      );
      if (i === edge)
        t.equal(await shootPage(page, 'overview-cluster'), 0, 'no sideways scroll at 360 px');
      await page.close();
    }

    // The edge stops (SIGTERM): it deletes its presence key and leaves the table.
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${c.hubs[lead]!.httpUrl}/`);
    await page.fill('#token', admin);
    await page.click('button[type=submit]');
    await page.locator(`tr[data-hub-id=hub${edge}]`).waitFor();
    const child = c.children[edge]!;
    child.proc.kill('SIGTERM');
    await child.exited;
    await page.locator(`tr[data-hub-id=hub${edge}]`).waitFor({ state: 'detached' });
    t.equal(await page.locator('tr[data-hub-id]').count(), 1, 'only the leader is left');
  });
}
