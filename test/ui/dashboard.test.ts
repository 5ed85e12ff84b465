/**
 * The dashboard in a real headless Chromium against a real hub on loopback: the numbers on
 * screen are the hub's own REST state, pause/resume from the page changes the queue, a
 * producer token is offered no admin action, and the page loads fast with 10,000 tasks queued.
 * Screenshots of each page go to tmp/ui-screenshots/.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { chromium, type Page } from 'playwright-core';
import { mintToken } from '../../server/auth/index.js';
import { uiRoutes } from '../../server/http/ui-routes.js';
import { buildUi } from '../../scripts/build-ui.js';
import { startTestHub } from '../helpers/hub.js';
import { restCall } from '../helpers/rest-call.js';
import { requireTool } from '../helpers/requires.js';

const SECRET = 'dashboard-test-secret-0123456789abcdef';
const SHOTS = path.resolve('tmp/ui-screenshots');

if (requireTool('chromium')) {
  t.test('the dashboard shows the hub state and acts on it', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-ui-'));
    await buildUi(path.resolve('.'), dir);
    mkdirSync(SHOTS, { recursive: true });
    const th = await startTestHub({ auth: { enabled: true, secret: SECRET } }, () =>
      uiRoutes({ path: '/ui', dir, redirectRoot: true }),
    );
    const admin = await mintToken(SECRET, { role: 'admin', subject: 'ops' });
    const producer = await mintToken(SECRET, { role: 'producer', subject: 'app' });
    const tasks = Array.from({ length: 10_000 }, (_, i) => ({ queue: 'mail', payload: { i } }));
    const sub = await restCall(`${th.httpUrl}/api/v1/tasks`, 'POST', {
      body: { tasks },
      token: admin,
    });
    t.equal(sub.status, 201);
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox'],
    });
    t.teardown(async () => {
      await browser.close();
      await th.stop();
    });

    const signIn = async (page: Page, token: string) => {
      const started = Date.now();
      const res = await page.goto(`${th.httpUrl}/`);
      const csp = res!.headers()['content-security-policy'] ?? '';
      t.match(csp, /script-src 'self'/);
      t.match(csp, /frame-ancestors 'none'/);
      await page.fill('#token', token);
      await page.click('button[type=submit]');
      await page.waitForSelector('header');
      return Date.now() - started;
    };

    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    const loadMs = await signIn(page, admin);
    // Load time is reported, not asserted: timed assertions flake on shared cores (benchmarks
    // are where speed is judged). What must hold is that it loads with 10,000 queued.
    t.comment(`signed in and loaded in ${loadMs} ms with 10,000 tasks queued`);
    await page.waitForSelector('[data-stat=queued] strong');
    const stats = (await restCall(`${th.httpUrl}/api/v1/stats`, 'GET', { token: admin })).json;
    t.equal(Number(await page.textContent('[data-stat=queued] strong')), stats.tasks.queued);
    await page.screenshot({ path: path.join(SHOTS, 'overview.png'), fullPage: true });

    await page.click('a[href="#/queues"]');
    const row = page.locator('tr[data-queue=mail]');
    await row.waitFor();
    const q = (await restCall(`${th.httpUrl}/api/v1/queues/mail`, 'GET', { token: admin })).json;
    t.match(await row.textContent(), new RegExp(String(q.depth.normal)));
    page.on('dialog', (d) => void d.accept());
    await row.locator('button', { hasText: 'Pause' }).click();
    await row.locator('button', { hasText: 'Resume' }).waitFor();
    t.equal(
      (await restCall(`${th.httpUrl}/api/v1/queues/mail`, 'GET', { token: admin })).json.paused,
      true,
    );
    await page.screenshot({ path: path.join(SHOTS, 'queues.png'), fullPage: true });
    await row.locator('button', { hasText: 'Resume' }).click();
    await row.locator('button', { hasText: 'Pause' }).waitFor();
    t.equal(
      (await restCall(`${th.httpUrl}/api/v1/queues/mail`, 'GET', { token: admin })).json.paused,
      false,
    );

    // A task that dies on a real (HTTP) worker, retried from the dead-letter page, runs again.
    const worker = await mintToken(SECRET, { role: 'worker', subject: 'w1' });
    const rest = (method: string, p: string, body: unknown, token: string) =>
      restCall(`${th.httpUrl}${p}`, method, { body, token });
    await rest('POST', '/api/workers/register', { workerId: 'w1', queues: ['bad'] }, worker);
    const id = (await rest('POST', '/api/v1/tasks', { queue: 'bad', maxAttempts: 1 }, admin)).json
      .id;
    const first = (await rest('POST', '/api/tasks/assign', { workerId: 'w1' }, worker)).json
      .tasks[0];
    await rest(
      'POST',
      '/api/tasks/fail',
      {
        workerId: 'w1',
        taskId: id,
        attempt: first.attempt,
        error: { code: 'BOOM', message: 'broken' },
      },
      worker,
    );
    t.equal((await rest('GET', `/api/v1/tasks/${id}`, undefined, admin)).json.state, 'dead');
    await page.click('a[href="#/dead"]');
    const dead = page.locator(`tr[data-task="${id}"]`);
    await dead.waitFor();
    t.match(await dead.textContent(), /BOOM: broken/);
    await page.screenshot({ path: path.join(SHOTS, 'dead-letters.png'), fullPage: true });
    await dead.locator('button', { hasText: 'Retry' }).click();
    await dead.waitFor({ state: 'detached' });
    const again = (await rest('POST', '/api/tasks/assign', { workerId: 'w1' }, worker)).json.tasks;
    t.equal(again[0]?.id, id, 'the retried task is handed to the worker again');

    await page.click('a[href="#/workers"]');
    await page.waitForSelector('table');
    await page.screenshot({ path: path.join(SHOTS, 'workers.png'), fullPage: true });

    const other = await browser.newPage();
    await signIn(other, producer);
    t.equal(await other.locator('a[href="#/queues"]').count(), 0, 'no queues page for a producer');
    await other.click('a[href="#/tasks"]');
    await other.locator('tr[data-task]').first().waitFor();
    t.equal(
      await other.locator('button', { hasText: 'Pause' }).count(),
      0,
      'no admin action for a producer',
    );
    t.equal(await other.locator('button', { hasText: 'Purge' }).count(), 0);
    await other.screenshot({ path: path.join(SHOTS, 'producer-queues.png'), fullPage: true });
  });
}
