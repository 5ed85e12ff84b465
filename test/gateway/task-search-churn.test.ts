/**
 * Task search pages while tasks come and go (issue 17, part 5): a client walks a big task
 * list page by page with the cursor while a producer submits, a worker completes and fails
 * tasks (completed ones are evicted at once: the hub keeps only 50 finished) and an operator
 * purges the dead ones. No task may come back twice, and every task that existed for the
 * whole walk must come back exactly once.
 */
import t from 'tap';
import { Producer, UnrecoverableError, Worker, type BulkItem } from '../../index.js';
import { startTestHub } from '../helpers/hub.js';
import { restCall } from '../helpers/rest-call.js';
import { sleep } from '../helpers/wait.js';

const STAY = 1500;
const CHURN = 1500;
const NEW_BATCHES = 60;
const PAGE = 25;

t.test('a cursor walk under concurrent submits, completions and purges', async (t) => {
  const th = await startTestHub({
    core: { disconnectGraceMs: 500, heartbeatTimeoutMs: 3000, maxFinishedTasks: 50 },
  });
  t.teardown(th.stop);
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(() => producer.close());

  // 'stay' tasks have no worker: they exist for the whole walk. 'churn' tasks, interleaved
  // with them in creation order, are completed (then evicted) or failed (then purged) while
  // the walk is on, so tasks disappear both before and after the cursor.
  const items: BulkItem[] = [];
  for (let i = 0; i < STAY; i++) {
    items.push({ queue: 'stay', payload: { i } });
    if (i < CHURN) items.push({ queue: 'churn', payload: { i, fail: i % 3 === 0 } });
  }
  const ids: string[] = [];
  for (let k = 0; k < items.length; k += 500)
    ids.push(...(await producer.submitMany(items.slice(k, k + 500))).ids);
  const stay = new Set(ids.filter((_, k) => items[k]!.queue === 'stay'));
  t.equal(stay.size, STAY);

  const seen = new Map<string, number>();
  let walking = true;
  let pages = 0;
  let removed = 0;
  let submitted = 0;

  const walk = (async () => {
    let cursor: string | null = null;
    do {
      const qs = new URLSearchParams({ limit: String(PAGE) });
      if (cursor) qs.set('cursor', cursor);
      const page = await restCall(`${th.httpUrl}/api/v1/tasks?${qs}`);
      if (page.status !== 200) throw new Error(`page ${pages}: ${page.status}`);
      for (const task of page.json.tasks as { id: string }[])
        seen.set(task.id, (seen.get(task.id) ?? 0) + 1);
      cursor = page.json.nextCursor;
      pages++;
      // Give the other clients room between pages.
      await sleep(2);
    } while (cursor);
    walking = false;
  })();

  const worker = new Worker({ url: th.wsUrl, queues: ['churn'], concurrency: 16 }, async (task) => {
    if ((task.payload as { fail?: boolean }).fail) throw new UnrecoverableError('no');
    return 'ok';
  });
  await worker.start();
  t.teardown(() => worker.close({ timeoutMs: 100 }));

  const produce = (async () => {
    for (let b = 0; b < NEW_BATCHES && walking; b++) {
      const batch: BulkItem[] = [];
      for (let i = 0; i < 10; i++) {
        batch.push({ queue: 'stay', payload: { late: b } });
        batch.push({ queue: 'churn', payload: { late: b, fail: i % 2 === 0 } });
      }
      await producer.submitMany(batch);
      submitted += batch.length;
      await sleep(5);
    }
  })();

  const purge = (async () => {
    while (walking) {
      const dead = await restCall(`${th.httpUrl}/api/v1/tasks?queue=churn&state=dead&limit=50`);
      for (const task of dead.json.tasks as { id: string }[]) {
        const r = await restCall(`${th.httpUrl}/api/v1/queues/churn/dead/${task.id}`, 'DELETE');
        if (r.status === 200) removed += r.json.purged as number;
      }
      await sleep(5);
    }
  })();

  await Promise.all([walk, produce, purge]);
  // Churn tasks that succeeded and are no longer in the task table were evicted.
  const evicted = ids.filter(
    (id, k) =>
      items[k]!.queue === 'churn' &&
      !(items[k]!.payload as { fail: boolean }).fail &&
      !th.hub.core.tasks.get(id),
  ).length;
  t.comment(
    `${pages} pages, ${submitted} submitted and ${removed} purged during the walk, ${evicted} evicted`,
  );
  t.ok(submitted > 0, 'tasks were submitted during the walk');
  t.ok(removed > 0, 'dead tasks were purged during the walk');
  t.ok(evicted > 0, 'completed tasks were evicted during the walk');

  const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  t.same(twice, [], 'no task was returned twice');
  const missing = [...stay].filter((id) => seen.get(id) !== 1);
  t.same(missing, [], 'every task that existed for the whole walk was returned exactly once');
});
