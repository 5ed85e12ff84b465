/**
 * The task pages in a real Chromium against a real hub: the list shows what was submitted
 * (and what is submitted while it is open), its filters and payload search agree with the
 * REST search, a task's page shows its payload (bounded), result, event history and failed
 * attempts, cancel acts on the hub, and dead letters page past 100 with retry and delete.
 */
import t from 'tap';
import { Worker } from '../../client/index.js';
import { mintToken } from '../../server/auth/index.js';
import { DASHBOARD_SECRET, startDashboard } from '../helpers/dashboard.js';
import { requireTool } from '../helpers/requires.js';

if (requireTool('chromium')) {
  t.test('task list, search, detail and cancel', async (t) => {
    const d = await startDashboard();
    t.teardown(() => d.stop());
    const { rest } = d;
    const orders = Array.from({ length: 12 }, (_, i) => ({
      queue: 'orders',
      payload: { customerId: i % 4, note: 'x'.repeat(i === 0 ? 10_000 : 3) },
    }));
    const ids: string[] = (await rest('POST', '/api/v1/tasks', { tasks: orders })).json.taskIds;
    const other = (
      await rest('POST', '/api/v1/tasks', { queue: 'other', payload: { customerId: 1 } })
    ).json.id;

    const { page } = await d.open(d.admin);
    await page.click('a[href="#/tasks"]');
    await page.locator('tr[data-task]').first().waitFor();
    t.equal(await page.locator('tr[data-task]').count(), 13, 'every task submitted is listed');

    // A task submitted while the list is open appears without a reload.
    const late = (await rest('POST', '/api/v1/tasks', { queue: 'orders', payload: { late: true } }))
      .json.id;
    await page.locator(`tr[data-task="${late}"]`).waitFor();
    t.pass('a task submitted through the API appears in the open list');

    await page.fill('input[name=queue]', 'orders');
    await page.fill('input[name=where]', 'payload.customerId=1');
    await page.click('form[role=search] button[type=submit]');
    await page.waitForFunction(() => location.hash.includes('where='));
    const expected = (
      await rest(
        'GET',
        '/api/v1/tasks?queue=orders&where=' + encodeURIComponent('payload.customerId=1'),
      )
    ).json.tasks.map((x: { id: string }) => x.id);
    await page.waitForFunction(
      (n) => document.querySelectorAll('tr[data-task]').length === n,
      expected.length,
    );
    const shown = await page
      .locator('tr[data-task]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task')));
    t.same(shown, expected, 'the filtered list is the hub search answer (3 tasks)');
    t.equal(expected.length, 3);
    t.equal(await d.shoot(page, 'tasks'), 0, 'tasks: no sideways scroll at 360 px');

    // The id box jumps to the task; its payload preview is bounded.
    await page.fill('input[name=id]', ids[0]!);
    await page.click('form[role=search] button[type=submit]');
    await page.locator(`article[data-task="${ids[0]}"]`).waitFor();
    const payload = (await page.textContent('[data-json=payload]')) ?? '';
    t.ok(payload.includes('"customerId": 0'), 'the payload is shown');
    t.ok(
      payload.length < 4200,
      `a 10,000-character payload shows bounded (${payload.length} chars)`,
    );
    t.match(await page.textContent('article'), /first 4096 of \d+ characters/);
    await page.locator('[data-history] li', { hasText: 'task.submitted' }).waitFor();
    t.pass('the event history has the submission');
    await page.locator('button', { hasText: 'Cancel' }).click();
    await page.locator('[data-state=cancelled]').waitFor();
    t.equal(
      (await rest('GET', `/api/v1/tasks/${ids[0]}`)).json.state,
      'cancelled',
      'cancelled on the hub',
    );
    await page.locator('[data-history] li', { hasText: 'task.cancelled' }).waitFor();
    t.pass('the cancel shows in the history, live');

    // A task completed by a real worker: its result and the worker on its page.
    const w = d.worker;
    await rest('POST', '/api/workers/register', { workerId: 'w1', queues: ['orders'] }, w);
    const leased = (await rest('POST', '/api/tasks/assign', { workerId: 'w1' }, w)).json.tasks[0];
    await page.goto(`${d.th.httpUrl}/ui/#/tasks/${leased.id}`);
    await page.locator('[data-state=leased]').waitFor();
    const result = { sent: 42 };
    await rest(
      'POST',
      '/api/tasks/complete',
      { workerId: 'w1', taskId: leased.id, attempt: 1, result },
      w,
    );
    await page.locator('[data-state=completed]').waitFor();
    t.match(
      await page.textContent('[data-json=result]'),
      /"sent": 42/,
      'the result is shown, live',
    );
    t.equal(await page.textContent('[data-fact=worker]'), 'w1');
    t.equal(await page.locator('button', { hasText: 'Cancel' }).count(), 0, 'no cancel once final');
    t.equal(await d.shoot(page, 'task-detail'), 0, 'task detail: no sideways scroll at 360 px');

    // Progress reported by a real worker shows on the task's page while it runs.
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const sdk = new Worker({ url: d.th.wsUrl, token: w, queues: ['slow'] }, async (task) => {
      task.progress({ percent: 50 });
      await done;
      return 'finished';
    });
    await sdk.start();
    t.teardown(() => sdk.close());
    const slow = (await rest('POST', '/api/v1/tasks', { queue: 'slow' })).json.id;
    await page.goto(`${d.th.httpUrl}/ui/#/tasks/${slow}`);
    await page.locator('[data-json=progress]', { hasText: '"percent": 50' }).waitFor();
    t.pass('progress is shown while the task runs');
    finish();
    await page.locator('[data-state=completed]').waitFor();
    t.match(await page.textContent('[data-json=result]'), /"finished"/);

    const { page: p2 } = await d.open(d.producer);
    await p2.goto(`${d.th.httpUrl}/ui/#/tasks/${ids[2]}`);
    await p2.locator(`article[data-task="${ids[2]}"]`).waitFor();
    t.equal(await p2.locator('button', { hasText: 'Cancel' }).count(), 1, 'a producer may cancel');
    t.equal(await p2.locator('[data-history]').count(), 0, 'no event history for a producer');

    // A token for the orders queue alone lists only that queue's tasks.
    const scoped = await mintToken(DASHBOARD_SECRET, {
      role: 'producer',
      subject: 'o',
      queues: ['orders'],
    });
    const { page: p3 } = await d.open(scoped);
    await p3.locator('tr[data-task]').first().waitFor();
    const queues = await p3.locator('td[data-label=queue]').allTextContents();
    t.ok(
      queues.length > 0 && queues.every((x) => x === 'orders'),
      'only orders tasks for an orders token',
    );
    await p3.goto(`${d.th.httpUrl}/ui/#/tasks/${other}`);
    await p3.locator('[role=alert]').waitFor();
    t.equal(await p3.locator('article[data-task]').count(), 0, "another queue's task is not shown");
  });

  t.test('dead letters page past 100, retry and delete', async (t) => {
    const d = await startDashboard();
    t.teardown(() => d.stop());
    const { rest } = d;
    const w = d.worker;
    const N = 120;
    await rest(
      'POST',
      '/api/workers/register',
      { workerId: 'w1', queues: ['fragile'], concurrency: N },
      w,
    );
    const tasks = Array.from({ length: N }, (_, i) => ({
      queue: 'fragile',
      maxAttempts: 1,
      payload: { i },
    }));
    await rest('POST', '/api/v1/tasks', { tasks });
    // w1 takes every task of the queue and fails each: all dead (maxAttempts 1).
    const killAll = async (): Promise<number> => {
      const leased = (await rest('POST', '/api/tasks/assign', { workerId: 'w1', max: N }, w)).json
        .tasks;
      for (const x of leased) {
        const error = { code: 'E_BAD', message: `no ${x.payload.i}` };
        await rest(
          'POST',
          '/api/tasks/fail',
          { workerId: 'w1', taskId: x.id, attempt: x.attempt, error },
          w,
        );
      }
      return leased.length;
    };
    t.equal(await killAll(), N);

    const { page } = await d.open(d.admin);
    await page.click('a[href="#/dead"]');
    const rows = page.locator('tr[data-task]');
    await rows.first().waitFor();
    t.equal(await rows.count(), 50, 'page 1: 50 dead letters');
    const seen = new Set(await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-task'))));
    for (const n of [2, 3]) {
      await page.locator('.pager button', { hasText: 'Next' }).click();
      await page.locator('[data-page]', { hasText: `page ${n}` }).waitFor();
      await page.waitForFunction(
        (s) =>
          !s.includes(document.querySelector('tr[data-task]')?.getAttribute('data-task') ?? ''),
        [...seen],
      );
      for (const id of await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-task'))))
        seen.add(id);
    }
    t.equal(seen.size, N, 'the three pages hold all 120, none twice');
    t.equal(await rows.count(), N - 100, 'page 3: the last 20');
    t.ok(
      await page.locator('.pager button', { hasText: 'Next' }).isDisabled(),
      'no page after the last',
    );
    t.equal(await d.shoot(page, 'dead-letters-paged'), 0);

    const last = (await rows.last().getAttribute('data-task'))!;
    await rows.last().locator('button', { hasText: 'Retry' }).click();
    await page.locator(`tr[data-task="${last}"]`).waitFor({ state: 'detached' });
    t.equal(
      (await rest('GET', `/api/v1/tasks/${last}`)).json.state,
      'queued',
      'retried: queued again',
    );
    const gone = (await rows.last().getAttribute('data-task'))!;
    await rows.last().locator('button', { hasText: 'Delete' }).click();
    await page.locator(`tr[data-task="${gone}"]`).waitFor({ state: 'detached' });
    t.equal(
      (await rest('GET', `/api/v1/queues/fragile/dead/${gone}`)).status,
      404,
      'deleted for good',
    );

    // A dead task's page lists its failed attempts with their errors.
    const first = (await rows.first().getAttribute('data-task'))!;
    await rows.first().locator('a').click();
    await page.locator('[data-attempts] li').first().waitFor();
    t.match(await page.textContent('[data-attempts]'), /attempt 1 .* on w1: E_BAD: no \d+/);
    t.equal(
      await page.locator('button', { hasText: 'Retry' }).count(),
      1,
      'retry offered on its page',
    );
    t.equal(await d.shoot(page, 'dead-task-detail'), 0);
    t.ok(first);

    // Retry dead, then (once they died again) purge, from the queues page.
    await page.click('a[href="#/queues"]');
    const q = page.locator('tr[data-queue=fragile]');
    await q.locator('td[data-label=dead]', { hasText: new RegExp(`^${N - 2}$`) }).waitFor();
    await q.locator('button', { hasText: 'Retry dead' }).click();
    await q.locator('td[data-label=dead]', { hasText: /^0$/ }).waitFor();
    t.equal(
      (await rest('GET', '/api/v1/queues/fragile')).json.queued,
      N - 1,
      'every dead task queued again',
    );
    t.equal(await killAll(), N - 1, 'and handed to the worker again');
    await q.locator('td[data-label=dead]', { hasText: new RegExp(`^${N - 1}$`) }).waitFor();
    await q.locator('button', { hasText: 'Purge dead' }).click();
    await q.locator('td[data-label=dead]', { hasText: /^0$/ }).waitFor();
    t.equal((await rest('GET', '/api/v1/queues/fragile')).json.dead, 0, 'purged on the hub');
  });
}
