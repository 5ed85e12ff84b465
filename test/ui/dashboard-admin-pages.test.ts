/**
 * The nodes, workspaces and schedules pages in a real Chromium against a real hub: what the
 * REST API holds is on screen, and the page's actions (remove a node; pause, resume, delete a
 * schedule) change the hub, each after a confirmation.
 */
import t from 'tap';
import { startDashboard } from '../helpers/dashboard.js';
import { requireTool } from '../helpers/requires.js';

if (requireTool('chromium')) {
  t.test('nodes, workspaces and schedules', async (t) => {
    const d = await startDashboard();
    t.teardown(() => d.stop());
    const { rest } = d;
    t.equal(
      (
        await rest('POST', '/api/v1/nodes', {
          id: 'edge',
          name: 'edge',
          agent: 'a',
          labels: { zone: 'b' },
        })
      ).status,
      201,
    );
    const node = (await rest('GET', '/api/v1/nodes/edge')).json;
    const mk = (body: object) => rest('POST', '/api/v1/schedules', body, d.producer);
    t.equal(
      (await mk({ name: 'hourly', everyMs: 3_600_000, task: { queue: 'reports' } })).status,
      201,
    );
    t.equal(
      (await mk({ name: 'nightly', cron: '0 3 * * *', tz: 'UTC', task: { queue: 'reports' } }))
        .status,
      201,
    );

    const { page } = await d.open(d.admin);
    await page.locator('[data-nodes]').waitFor();
    t.match(
      await page.textContent('[data-nodes]'),
      new RegExp(`nodes: 1 ${node.status}`),
      'the overview counts nodes',
    );

    await page.click('a[href="#/nodes"]');
    const nrow = page.locator('tr[data-node=edge]');
    await nrow.waitFor();
    t.equal(await nrow.locator('td[data-label=status]').textContent(), node.status);
    t.equal(await nrow.locator('td[data-label=labels]').textContent(), 'zone=b');
    t.equal(await d.shoot(page, 'nodes'), 0, 'nodes: no sideways scroll at 360 px');
    await nrow.locator('button', { hasText: 'Remove' }).click();
    await page.locator('text=No nodes registered.').waitFor();
    t.equal((await rest('GET', '/api/v1/nodes')).json.nodes.length, 0, 'removed from the page');

    await page.click('a[href="#/workspaces"]');
    await page.locator('text=No workspaces.').waitFor();
    t.pass('workspaces: the empty state (a workspace needs a node that answers SSH)');
    t.equal(await d.shoot(page, 'workspaces'), 0);

    await page.click('a[href="#/schedules"]');
    const hourly = page.locator('tr[data-schedule=hourly]');
    await hourly.waitFor();
    t.match(await hourly.locator('td[data-label=when]').textContent(), /every 3600000 ms/);
    t.equal(
      await page.locator('tr[data-schedule=nightly] td[data-label=when]').textContent(),
      '0 3 * * * UTC',
    );
    t.equal(await d.shoot(page, 'schedules'), 0, 'schedules: no sideways scroll at 360 px');
    await hourly.locator('button', { hasText: 'Pause' }).click();
    await hourly.locator('em', { hasText: 'paused' }).waitFor();
    t.equal(
      (await rest('GET', '/api/v1/schedules/hourly')).json.paused,
      true,
      'paused from the page',
    );
    await hourly.locator('button', { hasText: 'Resume' }).click();
    await hourly.locator('button', { hasText: 'Pause' }).waitFor();
    t.equal((await rest('GET', '/api/v1/schedules/hourly')).json.paused, false, 'resumed');
    await hourly.locator('button', { hasText: 'Delete' }).click();
    await hourly.waitFor({ state: 'detached' });
    t.equal((await rest('GET', '/api/v1/schedules/hourly')).status, 404, 'deleted from the page');

    // A producer sees schedules (and may act on them) but no nodes page.
    const { page: p2 } = await d.open(d.producer);
    t.equal(await p2.locator('a[href="#/nodes"]').count(), 0, 'no nodes page for a producer');
    await p2.click('a[href="#/schedules"]');
    await p2.locator('tr[data-schedule=nightly]').waitFor();
    t.pass('a producer sees the schedules of its queues');
  });
}
