/**
 * `switchboard task list` (search: filters, cursor, --json) and `switchboard flow ID` (a
 * flow's tree with each task's state) against a real hub, with tasks a real worker ran.
 */
import { execFile } from 'node:child_process';
import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { cliCommand } from '../helpers/hub-process.js';
import { startTestHub } from '../helpers/hub.js';
import { until } from '../helpers/wait.js';

function cli(url: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const [cmd, argv] = cliCommand([...args, '--url', url], false);
  return new Promise((resolve) => {
    execFile(cmd, argv, { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
}

interface ListJson {
  tasks: { id: string; queue: string; state: string; payload: { customerId: number; n: number } }[];
  nextCursor: string | null;
}

t.test('task list: filters, pages by cursor, --json and the table', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(() => producer.close());
  const ids: string[] = [];
  for (let n = 0; n < 12; n++)
    ids.push((await producer.submit('invoices', { customerId: n % 3 === 0 ? 42 : 7, n })).id);
  await producer.submit('other', { customerId: 42, n: 99 });
  const url = th.httpUrl;

  const table = await cli(
    url,
    'task',
    'list',
    '--queue',
    'invoices',
    '--where',
    'payload.customerId=42',
  );
  t.equal(table.code, 0, table.err);
  t.match(table.out, /ID\s+QUEUE\s+STATE/);
  for (const n of [0, 3, 6, 9]) t.match(table.out, ids[n]!, `task ${n} listed`);
  t.notMatch(table.out, ids[1]!, 'customer 7 left out');
  t.match(table.out, /^4 tasks$/m);

  // Two tasks a page, walked by the cursor the previous page printed.
  const seen: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const args = ['task', 'list', '--where', 'payload.customerId=42', '--limit', '2', '--json'];
    if (cursor) args.push('--cursor', cursor);
    const r = await cli(url, ...args);
    t.equal(r.code, 0, r.err);
    const page = JSON.parse(r.out) as ListJson;
    t.ok(page.tasks.length <= 2, 'at most --limit');
    seen.push(...page.tasks.map((x) => x.payload.n));
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  t.same(seen, [0, 3, 6, 9, 99], 'every match across queues once, oldest first');

  const more = await cli(url, 'task', 'list', '--queue', 'invoices', '--limit', '5');
  t.match(more.out, /^5 tasks; more: --cursor \S+$/m, 'a short listing says how to go on');

  const byState = await cli(url, 'task', 'list', '--state', 'completed', '--json');
  t.same((JSON.parse(byState.out) as ListJson).tasks, [], 'nothing completed yet');
  const none = await cli(url, 'task', 'list', '--queue', 'nope');
  t.match(none.out, /no tasks match/);

  const bad = await cli(url, 'task', 'list', '--where', 'customerId');
  t.not(bad.code, 0, 'a where without = is refused');
  t.match(bad.err, /where/);
  const badLimit = await cli(url, 'task', 'list', '--limit', '0');
  t.not(badLimit.code, 0);
  t.match(badLimit.err, /--limit must be a positive integer/);
});

t.test('flow ID: the parent waiting on its children, each with its state', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  // Only `fetch` has a worker: the summary (mail) stays queued, so the report keeps waiting.
  const worker = new Worker({ url: th.wsUrl, queues: ['fetch'], concurrency: 4 }, async () => 1);
  await worker.start();
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await producer.close();
    await worker.close({ timeoutMs: 100 });
  });
  const flow = await producer.submitFlow({
    queue: 'reports',
    payload: {},
    onChildFailure: 'continue',
    children: [
      {
        queue: 'fetch',
        name: 'pages',
        children: [
          { queue: 'fetch', name: 'p1' },
          { queue: 'fetch', name: 'p2' },
        ],
      },
      { queue: 'mail', name: 'summary' },
    ],
  });
  const pages = flow.tree.children[0]!;
  await until(() => th.hub.core.tasks.get(pages.id)?.state === 'completed');
  const url = th.httpUrl;

  const r = await cli(url, 'flow', flow.id);
  t.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  t.match(lines[0], `${flow.id}  (reports)  waiting-children, waiting on 1 of 2`);
  t.match(lines[0], /on child failure: continue/);
  t.match(lines[1], new RegExp(`^├─ ${pages.id} pages  \\(fetch\\)  completed`));
  t.match(lines[2], new RegExp(`^│  ├─ ${pages.children[0]!.id} p1  \\(fetch\\)  completed`));
  t.match(lines[3], new RegExp(`^│  └─ ${pages.children[1]!.id} p2  \\(fetch\\)  completed`));
  t.match(lines[4], new RegExp(`^└─ ${flow.tree.children[1]!.id} summary  \\(mail\\)  queued`));
  t.equal(lines.length, 5);

  const sub = await cli(url, 'flow', pages.id);
  t.match(
    sub.out,
    new RegExp(`^child of ${flow.id}\n${pages.id} pages`),
    'a subtree names its parent',
  );
  const json = await cli(url, 'flow', flow.id, '--json');
  const tree = JSON.parse(json.out) as { state: string; children: { state: string }[] };
  t.same(
    tree.children.map((c) => c.state),
    ['completed', 'queued'],
  );
  const missing = await cli(url, 'flow', 'nope');
  t.not(missing.code, 0, 'an unknown id is an error');
});
