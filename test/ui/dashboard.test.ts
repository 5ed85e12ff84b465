/**
 * The dashboard in a real headless Chromium against a real hub on loopback: the numbers on
 * screen are the hub's own REST state, the charts move with traffic, the live badge says when
 * the event stream is lost and back, pause/resume and a dead-letter retry from the page act
 * on the hub, and a producer token is offered no admin page or action. Each page is saved
 * light and dark at 1280 and 360 px into tmp/ui-screenshots/ (test/helpers/dashboard.ts).
 */
import t from 'tap';
import { Worker } from '../../client/index.js';
import { mintToken } from '../../server/auth/index.js';
import { DASHBOARD_SECRET, startDashboard } from '../helpers/dashboard.js';
import { requireTool } from '../helpers/requires.js';

if (requireTool('chromium')) {
  t.test('the dashboard shows the hub state and acts on it', async (t) => {
    const d = await startDashboard();
    t.teardown(() => d.stop());
    const { rest } = d;
    const tasks = Array.from({ length: 10_000 }, (_, i) => ({ queue: 'mail', payload: { i } }));
    t.equal((await rest('POST', '/api/v1/tasks', { tasks })).status, 201);

    const res = await fetch(`${d.th.httpUrl}/ui/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    t.match(csp, /script-src 'self'/);
    t.match(csp, /frame-ancestors 'none'/);
    t.notMatch(csp, /unsafe-inline/);

    const { page, ms } = await d.open(d.admin);
    // Load time is reported, not asserted (bench/ui-load.ts measures it): timed assertions
    // flake on shared cores. What must hold is that it loads with 10,000 queued.
    t.comment(`signed in and loaded in ${ms} ms with 10,000 tasks queued`);
    await page.waitForSelector('[data-stat=queued] strong');
    const stats = (await rest('GET', '/api/v1/stats')).json;
    t.equal(Number(await page.textContent('[data-stat=queued] strong')), stats.tasks.queued);
    await page.waitForSelector('[data-live=live]');
    t.pass('the live badge says live once the event stream is open');
    const depth = page.locator('tr[data-queue=mail] td[data-label=normal]');
    await depth.waitFor();
    t.equal(Number(await depth.textContent()), 10_000, 'depth by priority as the hub has it');

    // Traffic while the page is open moves the submitted chart and the queued count.
    await rest('POST', '/api/v1/tasks', {
      tasks: Array.from({ length: 7 }, () => ({ queue: 'mail' })),
    });
    // data-peak-* is read back from uPlot's own data after each setData (live-chart.tsx).
    await page.waitForFunction(() => {
      const chart = document.querySelector('[data-chart=rates]');
      return Number(chart?.getAttribute('data-peak-submitted')) >= 7;
    });
    t.pass('the submitted/s line of the rates chart shows the 7 tasks');
    t.equal(
      await page.locator('[data-chart=rates] canvas').count(),
      1,
      'drawn by uPlot on a canvas',
    );
    await page.waitForFunction(
      () =>
        Number(document.querySelector('[data-chart=depth]')?.getAttribute('data-last-queued')) ===
        10_007,
    );
    t.pass('the queued line of the depth chart follows the hub');
    await page.waitForFunction(
      () => document.querySelector('[data-stat=queued] strong')?.textContent === '10007',
    );
    t.pass('the queued count follows without a reload');

    // A real worker over WebSocket runs 200 tasks: the completed chart shows them.
    const sdk = new Worker(
      { url: d.th.wsUrl, token: d.worker, queues: ['live'], concurrency: 4, name: 'sdk-1' },
      async (task) => ({ echo: task.payload }),
    );
    await sdk.start();
    t.teardown(() => sdk.close());
    const live = Array.from({ length: 200 }, (_, i) => ({ queue: 'live', payload: i }));
    await rest('POST', '/api/v1/tasks', { tasks: live });
    await page.waitForFunction(
      () =>
        Number(document.querySelector('[data-chart=rates]')?.getAttribute('data-peak-completed')) >
        0,
    );
    t.pass('the completed/s line shows the worker at work');
    await page.waitForFunction(
      () => document.querySelector('[data-stat=workers] strong')?.textContent === '1',
    );
    t.pass('the worker count follows');
    await page.waitForSelector('table[data-hubs=embedded] tr[data-role=single]');
    t.equal(await page.locator('tr[data-hub-id]').count(), 1, 'the embedded engine: one hub');
    t.equal(await d.shoot(page, 'overview'), 0, 'overview: no sideways scroll at 360 px');

    await page.click('a[href="#/queues"]');
    const row = page.locator('tr[data-queue=mail]');
    await row.waitFor();
    const q = (await rest('GET', '/api/v1/queues/mail')).json;
    t.match(await row.textContent(), new RegExp(String(q.depth.normal)));
    await row.locator('button', { hasText: 'Pause' }).click();
    await row.locator('button', { hasText: 'Resume' }).waitFor();
    t.equal((await rest('GET', '/api/v1/queues/mail')).json.paused, true, 'paused from the page');
    t.equal(await d.shoot(page, 'queues'), 0, 'queues: no sideways scroll at 360 px');
    await row.locator('button', { hasText: 'Resume' }).click();
    await row.locator('button', { hasText: 'Pause' }).waitFor();
    t.equal((await rest('GET', '/api/v1/queues/mail')).json.paused, false, 'resumed');

    // A task that dies on a real (HTTP) worker, retried from the dead-letter page, runs again.
    const w = d.worker;
    await rest('POST', '/api/workers/register', { workerId: 'w1', queues: ['bad'] }, w);
    const id = (await rest('POST', '/api/v1/tasks', { queue: 'bad', maxAttempts: 1 })).json.id;
    const first = (await rest('POST', '/api/tasks/assign', { workerId: 'w1' }, w)).json.tasks[0];
    const error = { code: 'BOOM', message: 'broken' };
    await rest(
      'POST',
      '/api/tasks/fail',
      { workerId: 'w1', taskId: id, attempt: first.attempt, error },
      w,
    );
    t.equal((await rest('GET', `/api/v1/tasks/${id}`)).json.state, 'dead');
    await page.click('a[href="#/dead"]');
    const dead = page.locator(`tr[data-task="${id}"]`);
    await dead.waitFor();
    t.match(await dead.textContent(), /BOOM: broken/);
    t.equal(await d.shoot(page, 'dead-letters'), 0, 'dead letters: no sideways scroll at 360 px');
    await dead.locator('button', { hasText: 'Retry' }).click();
    await dead.waitFor({ state: 'detached' });
    const again = (await rest('POST', '/api/tasks/assign', { workerId: 'w1' }, w)).json.tasks;
    t.equal(again[0]?.id, id, 'the retried task is handed to the worker again');

    await page.click('a[href="#/workers"]');
    const wrow = page.locator('tr[data-worker=w1]');
    await wrow.waitFor();
    t.match(
      await wrow.locator('td[data-label=running]').textContent(),
      /^1\/1/,
      'w1 runs one task',
    );
    const sdkRow = page.locator('tr', { hasText: 'sdk-1' });
    await sdkRow.locator('td[data-label=done]', { hasText: /^200$/ }).waitFor();
    t.pass('the SDK worker shows its 200 tasks done');
    t.equal(await d.shoot(page, 'workers'), 0, 'workers: no sideways scroll at 360 px');
    await wrow.locator('button', { hasText: 'Drain' }).click();
    await wrow.locator('td[data-label=state]', { hasText: 'draining' }).waitFor();
    t.equal(
      (await rest('GET', '/api/v1/workers/w1')).json.state,
      'draining',
      'drained from the page',
    );

    const { page: other } = await d.open(d.producer);
    t.equal(await other.locator('a[href="#/queues"]').count(), 0, 'no queues page for a producer');
    t.equal(await other.locator('a[href="#/dead"]').count(), 0, 'no dead letters for a producer');
    await other.locator('tr[data-task]').first().waitFor();
    t.equal(await other.locator('button', { hasText: 'Retry' }).count(), 0, 'no admin action');
    t.equal(await d.shoot(other, 'producer-tasks'), 0);
  });

  t.test('the live badge says when the event stream is lost, and it comes back', async (t) => {
    const d = await startDashboard();
    t.teardown(() => d.stop());
    const ops2 = await mintToken(DASHBOARD_SECRET, { role: 'admin', subject: 'ops2' });
    const { page } = await d.open(ops2);
    await page.waitForSelector('[data-live=live]');
    // The hub drops the stream (as on a revocation sweep); reconnects are refused meanwhile.
    await page.route('**/api/v1/events*', (r) => r.abort());
    d.th.hub.liveGrants.revokeWhere((g) => g.subject === 'ops2');
    await page.waitForSelector('[data-live=stale]');
    t.match(await page.textContent('[data-live]'), /stale/, 'says stale while it cannot reconnect');
    await page.unroute('**/api/v1/events*');
    await page.waitForSelector('[data-live=live]', { timeout: 30_000 });
    t.pass('live again once the stream reconnects');
    // Events after the reconnect still reach the page.
    await d.rest('POST', '/api/v1/tasks', { queue: 'after' });
    await page.waitForFunction(
      () =>
        Number(document.querySelector('[data-chart=rates]')?.getAttribute('data-peak-submitted')) >=
        1,
    );
    t.pass('an event after the reconnect reaches the chart');
  });

  t.test('signing in and moving around by keyboard alone', async (t) => {
    const d = await startDashboard();
    t.teardown(() => d.stop());
    const page = await d.browser.newPage({ viewport: { width: 360, height: 740 } });
    await page.goto(`${d.th.httpUrl}/`);
    await page.waitForSelector('#token');
    await page.keyboard.press('Tab');
    t.equal(
      await page.evaluate(() => document.activeElement?.id),
      'token',
      'Tab reaches the token field',
    );
    await page.keyboard.type(d.admin);
    await page.keyboard.press('Enter');
    await page.waitForSelector('header');
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate(() => document.activeElement?.getAttribute('href')), '#/overview');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[aria-current=page][href="#/queues"]');
    t.pass('Enter on a nav link opens its page');
  });
}
