import t from 'tap';
import {
  Producer,
  TaskFailedError,
  UnrecoverableError,
  Worker,
  type Task,
} from '../../client/index.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { until } from '../helpers/wait.js';

/**
 * Flows end to end (docs/flows.md): a real hub, real workers on two queues, each on its own
 * connection, and a producer that submits a three-level tree. What is asserted is what the
 * workers saw (the order they ran in, the children's results in their task) and what the
 * producer got back.
 */

type Seen = { id: string; name: string; at: number; children: Task['children'] };

async function setup(t: Tap.Test, handlers: Record<string, (task: Task) => unknown>) {
  const th = await startTestHub();
  t.teardown(() => th.stop());
  const seen: Seen[] = [];
  let clock = 0;
  const run = async (task: Task) => {
    const name = (task.payload as { name: string }).name;
    seen.push({ id: task.id, name, at: ++clock, children: task.children });
    const h = handlers[name];
    return h ? h(task) : { done: name };
  };
  const workers = [
    new Worker({ url: th.wsUrl, queues: ['reports'], concurrency: 4 }, run),
    new Worker({ url: th.wsUrl, queues: ['fetch'], concurrency: 4 }, run),
  ];
  for (const w of workers) w.on('error', () => undefined);
  await Promise.all(workers.map((w) => w.start()));
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(async () => {
    await producer.close();
    await Promise.all(workers.map((w) => w.close()));
  });
  return { th, producer, seen, workers };
}

/** report (reports) <- [pages (fetch) <- [p1 (fetch), p2 (reports)], summary (reports)] */
const tree = (extra: Record<string, unknown> = {}) => ({
  queue: 'reports',
  payload: { name: 'report' },
  ...extra,
  children: [
    {
      queue: 'fetch',
      name: 'pages',
      payload: { name: 'pages' },
      children: [
        { queue: 'fetch', name: 'p1', payload: { name: 'p1' } },
        { queue: 'reports', name: 'p2', payload: { name: 'p2' } },
      ],
    },
    { queue: 'reports', name: 'summary', payload: { name: 'summary' } },
  ],
});

async function getJson(th: TestHub, path: string) {
  const res = await fetch(`${th.httpUrl}${path}`);
  return { status: res.status, body: (await res.json()) as any };
}

t.test(
  'three levels across two queues: parents run after their children, with their results',
  async (t) => {
    const { th, producer, seen } = await setup(t, {
      p1: () => 1,
      p2: () => 2,
      pages: (task) => {
        const v = task.childrenValues<number>();
        return v.p1! + v.p2!;
      },
      summary: () => 'short',
      report: (task) => task.childrenValues(),
    });
    const flow = await producer.submitFlow(tree());
    t.equal(flow.duplicate, false);
    t.same(
      [flow.tree.children.map((c) => c.name), flow.tree.children[0]!.children.map((c) => c.name)],
      [
        ['pages', 'summary'],
        ['p1', 'p2'],
      ],
      'the ids come back in the shape of the tree',
    );
    const result = await producer.result(flow.id, { timeoutMs: 10_000 });
    t.same(
      result,
      { pages: 3, summary: 'short' },
      "the root's handler built its result from its children's",
    );
    const at = (name: string) => seen.find((s) => s.name === name)!.at;
    t.ok(at('pages') > at('p1') && at('pages') > at('p2'), 'pages ran after p1 and p2');
    t.ok(at('report') > at('pages') && at('report') > at('summary'), 'report ran last');
    t.equal(seen.length, 5, 'each task ran once');
    const report = seen.find((s) => s.name === 'report')!;
    t.same(
      report.children.map((c) => [c.name, c.queue, c.state, c.result]),
      [
        ['pages', 'fetch', 'completed', 3],
        ['summary', 'reports', 'completed', 'short'],
      ],
      'the task frame carries each child by name, queue, state and result',
    );
    t.same(seen.find((s) => s.name === 'p1')!.children, [], 'a leaf has no children');

    const rest = await getJson(th, `/api/v1/flows/${flow.id}`);
    t.equal(rest.status, 200);
    t.same(
      [rest.body.state, rest.body.children.map((c: any) => [c.name, c.state])],
      [
        'completed',
        [
          ['pages', 'completed'],
          ['summary', 'completed'],
        ],
      ],
      'GET /api/v1/flows/:id shows the tree',
    );
    const child = await getJson(th, `/api/v1/tasks/${flow.tree.children[0]!.id}`);
    t.equal(child.body.parentId, flow.id, 'a child task names its parent');
    t.same(
      child.body.children.map((c: any) => c.result),
      [1, 2],
    );
  },
);

t.test(
  'policy fail: a child failing finally fails the flow; running siblings are stopped',
  async (t) => {
    let p2Aborted = false;
    const { producer, seen } = await setup(t, {
      p1: async () => {
        await until(() => seen.some((s) => s.name === 'p2'));
        throw new UnrecoverableError('no such page');
      },
      p2: (task) =>
        new Promise((_, reject) =>
          task.signal.addEventListener('abort', () => {
            p2Aborted = true;
            reject(new Error('aborted'));
          }),
        ),
      // Runs until told to stop (its parent fails while it runs).
      summary: (task) =>
        new Promise((_, reject) =>
          task.signal.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    });
    const flow = await producer.submitFlow(tree());
    const err = await producer.result(flow.id, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    t.type(err, TaskFailedError);
    const failed = err as TaskFailedError;
    t.equal(failed.status, 'dead');
    t.equal(failed.code, 'CHILD_FAILED');
    t.match(failed.message, /child pages .* ended dead/, 'the root names its failed child');
    const pages = await producer.result(flow.tree.children[0]!.id).catch((e: unknown) => e);
    t.equal((pages as TaskFailedError).code, 'CHILD_FAILED');
    t.match((pages as TaskFailedError).message, /child p1 .* ended dead: no such page/);
    await until(() => p2Aborted);
    t.ok(p2Aborted, "p2's handler was told to stop");
    const summary = await producer.result(flow.tree.children[1]!.id).catch((e: unknown) => e);
    t.equal(
      (summary as TaskFailedError).status,
      'cancelled',
      'summary, still running, is cancelled',
    );
    t.notOk(
      seen.some((s) => s.name === 'pages' || s.name === 'report'),
      'no parent of the failed child ever ran',
    );
  },
);

t.test('policy continue: the parent runs anyway and sees the failure', async (t) => {
  const { producer } = await setup(t, {
    p1: () => {
      throw new UnrecoverableError('no such page');
    },
    pages: (task) => task.children.map((c) => [c.name, c.state, c.error?.message ?? c.result]),
    report: (task) => task.childrenValues(),
  });
  const flow = await producer.submitFlow(tree({ onChildFailure: 'continue' }));
  const result = await producer.result(flow.id, { timeoutMs: 10_000 });
  t.same(result, {
    pages: [
      ['p1', 'dead', 'no such page'],
      ['p2', 'completed', { done: 'p2' }],
    ],
    summary: { done: 'summary' },
  });
});

t.test('cancel of the root cancels the children, running and queued', async (t) => {
  const aborted: string[] = [];
  const hang = (task: Task) =>
    new Promise((_, reject) =>
      task.signal.addEventListener('abort', () => {
        aborted.push((task.payload as { name: string }).name);
        reject(new Error('aborted'));
      }),
    );
  const { th, producer, seen } = await setup(t, { p1: hang, p2: hang, summary: hang });
  const flow = await producer.submitFlow(tree());
  await until(() => seen.length === 3);
  await producer.cancel(flow.id, 'not needed');
  await until(() => aborted.length === 3);
  t.same(aborted.sort(), ['p1', 'p2', 'summary'], 'every running child was told to stop');
  const view = await getJson(th, `/api/v1/flows/${flow.id}`);
  const states = (n: any): string[] => [n.state, ...n.children.flatMap(states)];
  t.same(states(view.body), ['cancelled', 'cancelled', 'cancelled', 'cancelled', 'cancelled']);
  t.equal(seen.length, 3, 'no parent ran');
});

t.test(
  'the edge refuses a flow too deep, too large or ambiguous, naming the field; nothing is created',
  async (t) => {
    const { th, producer } = await setup(t, {});
    const post = async (body: unknown) => {
      const res = await fetch(`${th.httpUrl}/api/v1/flows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    let deep: any = { queue: 'q' };
    for (let i = 0; i < 10; i++) deep = { queue: 'q', children: [deep] };
    const tooDeep = await post(deep);
    t.equal(tooDeep.status, 400);
    t.equal(tooDeep.body.error.code, 'INVALID_FRAME');
    t.match(tooDeep.body.error.message, /at most 10 levels/);
    t.match(
      tooDeep.body.error.details.issues[0].path,
      /^(children\.0\.){9}children$/,
      'the path of the 11th level',
    );
    const wide = await post({
      queue: 'q',
      children: Array.from({ length: 20 }, () => ({
        queue: 'q',
        children: Array.from({ length: 50 }, () => ({ queue: 'q' })),
      })),
    });
    t.equal(wide.status, 400);
    t.match(wide.body.error.message, /at most 1000 tasks; this one has 1021/);
    const twins = await post({
      queue: 'q',
      children: [
        { queue: 'q', name: 'a' },
        { queue: 'q', name: 'a' },
      ],
    });
    t.equal(twins.status, 400);
    t.equal(twins.body.error.details.issues[0].path, 'children.1.name');
    const keyed = await post({ queue: 'q', children: [{ queue: 'q', idempotencyKey: 'k' }] });
    t.equal(keyed.body.error.details.issues[0].path, 'children.0.idempotencyKey');
    const overWs = await producer.submitFlow(deep).catch((e: unknown) => e);
    t.match((overWs as Error).message, /at most 10 levels/, 'the same rule over WebSocket');
    const tasks = await getJson(th, '/api/v1/tasks?queue=q');
    t.equal(tasks.status, 200);
    t.same(tasks.body.tasks, [], 'nothing of any refused flow exists');

    const first = await producer.submitFlow({
      queue: 'q',
      idempotencyKey: 'weekly',
      children: [{ queue: 'q' }],
    });
    const again = await producer.submitFlow({
      queue: 'q',
      idempotencyKey: 'weekly',
      children: [{ queue: 'q' }],
    });
    t.equal(again.duplicate, true);
    t.equal(again.id, first.id, 'a repeated root key answers with the flow that exists');
    t.equal((await getJson(th, '/api/v1/tasks?queue=q')).body.tasks.length, 2);
  },
);
