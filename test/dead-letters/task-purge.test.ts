/**
 * Purge by filter on a real hub with auth: REST POST /api/v1/queues/:name/purge and
 * `switchboard task purge`, tasks made by a real worker that completes some and fails
 * others. Each purge removes exactly the finished tasks the state and filter name; every
 * refused request (wrong role, queue not allowed, an unfinished state, a bad filter) changes
 * nothing.
 */
import { execFile } from 'node:child_process';
import t from 'tap';
import { Producer, UnrecoverableError, Worker } from '../../index.js';
import { mintToken } from '../../server/auth/index.js';
import { cliCommand } from '../helpers/hub-process.js';
import { startTestHub } from '../helpers/hub.js';
import { restCall } from '../helpers/rest-call.js';
import { sleep } from '../helpers/wait.js';

const SECRET = 'task-purge-secret-0123456789abcdef';

function cli(url: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const [cmd, argv] = cliCommand([...args, '--url', url], false);
  return new Promise((resolve) => {
    execFile(cmd, argv, { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
}

interface Row {
  id: string;
  state: string;
  payload: { customer: number; fail: boolean };
}

t.test('purge by state and filter over REST and the CLI; refusals change nothing', async (t) => {
  const th = await startTestHub({ auth: { enabled: true, secret: SECRET } });
  t.teardown(th.stop);
  const admin = await mintToken(SECRET, { role: 'admin' });
  const producerToken = await mintToken(SECRET, { role: 'producer' });
  const otherAdmin = await mintToken(SECRET, { role: 'admin', queues: ['billing-*'] });
  const workerToken = await mintToken(SECRET, { role: 'worker', subject: 'purge-worker' });

  const worker = new Worker(
    { url: th.wsUrl, token: workerToken, queues: ['orders'], concurrency: 8 },
    async (task) => {
      if ((task.payload as Row['payload']).fail) throw new UnrecoverableError('card declined');
      return 'shipped';
    },
  );
  await worker.start();
  const producer = new Producer({ url: th.wsUrl, token: producerToken });
  t.teardown(async () => {
    await producer.close();
    await worker.close({ timeoutMs: 100 });
  });
  // Customers 42 and 7, three completed and three dead each; one delayed task that never runs.
  for (const customer of [42, 7])
    for (let i = 0; i < 6; i++)
      await producer.submit('orders', { customer, fail: i % 2 === 1 }, { maxAttempts: 1 });
  await producer.submit('orders', { customer: 42, fail: false }, { delayMs: 3_600_000 });

  const url = th.httpUrl;
  const rows = async (): Promise<Row[]> =>
    (await restCall(`${url}/api/v1/tasks?queue=orders&limit=100`, 'GET', { token: admin })).json
      .tasks;
  const end = Date.now() + 20_000;
  while ((await rows()).filter((r) => r.state === 'completed' || r.state === 'dead').length < 12) {
    if (Date.now() > end) throw new Error('timed out waiting for twelve finished tasks');
    await sleep(50);
  }
  const before = JSON.stringify(await rows());
  const purge = (body: unknown, token = admin, queue = 'orders') =>
    restCall(`${url}/api/v1/queues/${queue}/purge`, 'POST', { body, token });

  const refusals: [string, Awaited<ReturnType<typeof purge>>, number][] = [
    ['no token', await purge({ state: 'dead' }, ''), 401],
    ['a producer', await purge({ state: 'dead' }, producerToken), 403],
    [
      'an admin whose token does not allow the queue',
      await purge({ state: 'dead' }, otherAdmin),
      403,
    ],
    ['an unfinished state', await purge({ state: 'queued' }), 400],
    ['no state', await purge({ where: 'payload.customer=42' }), 400],
    ['a bad where', await purge({ state: 'dead', where: 'customer' }), 400],
    ['a limit over the cap', await purge({ state: 'dead', limit: 10_001 }), 400],
    ['an unknown field', await purge({ state: 'dead', customer: 42 }), 400],
    ['a queue that does not exist', await purge({ state: 'dead' }, admin, 'nope'), 404],
  ];
  for (const [what, r, status] of refusals) t.equal(r.status, status, `${what}: ${status}`);
  t.match(refusals[3]![1].json.error.message, /state/, 'the 400 names the field');
  t.equal(JSON.stringify(await rows()), before, 'the refused requests changed nothing');

  const completed42 = await purge({ state: 'completed', where: 'payload.customer=42' });
  t.equal(completed42.status, 200);
  t.same(completed42.json, { queue: 'orders', count: 3, more: false }, 'three completed of 42');
  let left = await rows();
  t.equal(left.length, 10);
  t.notOk(
    left.some((r) => r.state === 'completed' && r.payload.customer === 42),
    'no completed task of customer 42 is left',
  );
  t.equal(left.filter((r) => r.state === 'dead').length, 6, 'the dead ones are all still there');
  t.ok(
    left.some((r) => r.state === 'delayed'),
    'the unfinished task is untouched',
  );

  const two = await purge({ state: 'dead', limit: 2 });
  t.same(two.json, { queue: 'orders', count: 2, more: true }, 'a limit, and more to do');

  const refusedCli = await cli(url, 'task', 'purge', 'orders', '--token', admin);
  t.not(refusedCli.code, 0, 'the CLI refuses a purge without --state');
  const queuedCli = await cli(
    url,
    'task',
    'purge',
    'orders',
    '--state',
    'queued',
    '--token',
    admin,
  );
  t.not(queuedCli.code, 0, 'and an unfinished state');
  t.match(queuedCli.err, /cancel unfinished tasks first/);
  const producerCli = await cli(
    url,
    'task',
    'purge',
    'orders',
    '--state',
    'dead',
    '--token',
    producerToken,
  );
  t.not(producerCli.code, 0, 'and a producer token is refused by the hub');
  t.equal((await rows()).length, 8, 'none of which changed anything');

  const dead7 = await cli(
    url,
    'task',
    'purge',
    'orders',
    '--state',
    'dead',
    '--where',
    'payload.customer=7',
    '--token',
    admin,
  );
  t.equal(dead7.code, 0, dead7.err);
  left = await rows();
  const dead7Left = left.filter((r) => r.state === 'dead' && r.payload.customer === 7).length;
  t.equal(dead7Left, 0, 'no dead task of customer 7 is left');
  t.match(dead7.out, /^purged \d dead from orders$/m);
  const rest = await cli(
    url,
    'task',
    'purge',
    'orders',
    '--state',
    'dead',
    '--token',
    admin,
    '--json',
  );
  t.equal(rest.code, 0, rest.err);
  t.equal((await rows()).filter((r) => r.state === 'dead').length, 0, 'every dead task is gone');
  t.same(
    (await rows()).map((r) => r.state).sort(),
    ['completed', 'completed', 'completed', 'delayed'],
    "customer 7's completed tasks and the delayed one remain",
  );
  const purgedTotal =
    Number(/purged (\d)/.exec(dead7.out)![1]) + (JSON.parse(rest.out) as { purged: number }).purged;
  t.equal(purgedTotal, 4, 'the CLI purged the four dead tasks the REST call left');
});
