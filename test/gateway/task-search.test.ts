import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { restCall } from '../helpers/rest-call.js';

/** Task search over REST on a real hub: the payload equality filter and pages that neither skip nor repeat. */
t.test('where payload.customerId=42 pages through every match exactly once', async (t) => {
  const th = await startTestHub();
  t.teardown(() => th.stop());
  const tasks = Array.from({ length: 30 }, (_, i) => ({
    queue: 'search',
    payload: { customerId: i % 3 === 0 ? 42 : 7, n: i },
  }));
  const sub = await restCall(`${th.httpUrl}/api/v1/tasks`, 'POST', { body: { tasks } });
  t.equal(sub.status, 201);
  const seen: number[] = [];
  let cursor: string | null = null;
  do {
    const qs = new URLSearchParams({ queue: 'search', where: 'payload.customerId=42', limit: '3' });
    if (cursor) qs.set('cursor', cursor);
    const page = await restCall(`${th.httpUrl}/api/v1/tasks?${qs}`);
    t.equal(page.status, 200);
    for (const task of page.json.tasks) seen.push(task.payload.n);
    cursor = page.json.nextCursor;
  } while (cursor);
  t.same(seen, [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
  const bad = await restCall(`${th.httpUrl}/api/v1/tasks?where=customerId`);
  t.equal(bad.status, 400, 'a where without = is refused');
});
