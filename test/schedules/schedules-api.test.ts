import { execFile } from 'node:child_process';
import t from 'tap';
import { ConflictError, NotFoundError, Schedules, Worker } from '../../index.js';
import { mintToken } from '../../server/auth/index.js';
import { cliCommand } from '../helpers/hub-process.js';
import { startTestHub } from '../helpers/hub.js';
import { restCall } from '../helpers/rest-call.js';
import { sleep, until } from '../helpers/wait.js';

/**
 * Schedules as a user meets them: made with the SDK, the REST API and the CLI, each fire a
 * task that a real worker receives with the template's payload; refusals name the field;
 * tokens see and change only the schedules of their queues.
 */

const SECRET = 'schedules-api-secret-0123456789abcdef';

/** The CLI as a child, without blocking: the hub it talks to runs in this process. */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const [cmd, argv] = cliCommand(args, false);
  return new Promise((resolve) => {
    execFile(cmd, argv, { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

t.test('SDK: a cron schedule with seconds feeds a worker; pause, resume, remove', async (t) => {
  const th = await startTestHub();
  t.teardown(() => th.stop());
  const schedules = new Schedules({ url: th.httpUrl });
  const got: { payload: unknown; id: string; at: number }[] = [];
  const worker = new Worker({ url: th.wsUrl, queues: ['ticks'] }, async (task) => {
    got.push({ payload: task.payload, id: task.id, at: Date.now() });
    return null;
  });
  t.teardown(() => worker.close());
  await worker.start();

  const made = await schedules.add('every-second', {
    cron: '* * * * * *',
    task: { queue: 'ticks', payload: { hello: 'world' }, priority: 'high' },
  });
  t.equal(made.cron, '* * * * * *');
  t.equal(made.tz, 'UTC');
  t.equal(made.missed, 'run-once', 'the default policy');
  t.ok(made.nextAt! > Date.now() - 1000 && made.nextAt! <= Date.now() + 1000);
  await until(() => got.length >= 3, 10_000);
  t.same(got[0]!.payload, { hello: 'world' });
  t.equal(new Set(got.map((g) => g.id)).size, got.length, 'a task per fire');
  t.ok(
    got.every((g) => g.id.startsWith(`${made.id}.`)),
    'ids carry the schedule id',
  );
  const metrics = await (await fetch(`${th.httpUrl}/metrics`)).text();
  t.match(metrics, /switchboard_schedules\{state="active"\} 1/);
  t.match(metrics, /switchboard_schedule_fires_total\{outcome="made"\} [3-9]/);
  t.match(metrics, /switchboard_schedule_fire_lateness_seconds_count [3-9]/);

  const paused = await schedules.pause('every-second');
  t.equal(paused.paused, true);
  t.equal(paused.nextAt, null);
  const atPause = got.length;
  await sleep(2200);
  t.ok(got.length <= atPause + 1, 'at most a fire already on its way when paused');
  const settled = got.length;
  await sleep(1200);
  t.equal(got.length, settled, 'nothing fires while paused');

  const resumed = await schedules.resume('every-second');
  t.equal(resumed.paused, false);
  await until(() => got.length >= settled + 2, 10_000);
  const shown = await schedules.get('every-second');
  t.ok(shown.fires >= got.length - 1, 'fires counted');
  t.equal(shown.lastTaskId !== null, true);

  const listed = await schedules.list();
  t.same(
    listed.map((s) => s.name),
    ['every-second'],
  );
  await t.rejects(
    schedules.add('every-second', { everyMs: 5000, task: { queue: 'ticks' } }),
    ConflictError,
  );
  const removed = await schedules.remove('every-second');
  t.equal(removed.name, 'every-second');
  await t.rejects(schedules.get('every-second'), NotFoundError);
  const atRemove = got.length;
  await sleep(2200);
  t.ok(got.length <= atRemove + 1, 'no fires after remove');
  t.same(await schedules.list(), []);
});

t.test('REST: refusals name the field', async (t) => {
  const th = await startTestHub();
  t.teardown(() => th.stop());
  const post = (body: unknown) => restCall(`${th.httpUrl}/api/v1/schedules`, 'POST', { body });
  const task = { queue: 'q' };
  const cases: [string, unknown, string][] = [
    ['bad minute', { name: 'a', cron: '61 * * * *', task }, 'cron'],
    ['too many fields', { name: 'a', cron: '* * * * * * * *', task }, 'cron'],
    ['never fires', { name: 'a', cron: '0 0 30 2 *', task }, 'cron'],
    ['unknown zone', { name: 'a', cron: '0 3 * * *', tz: 'Europe/Atlantis', task }, 'tz'],
    ['both', { name: 'a', cron: '0 3 * * *', everyMs: 1000, task }, 'everyMs'],
    ['neither', { name: 'a', task }, 'cron'],
    ['tz with every', { name: 'a', everyMs: 1000, tz: 'UTC', task }, 'tz'],
    ['too short', { name: 'a', everyMs: 10, task }, 'everyMs'],
    ['no queue', { name: 'a', everyMs: 1000, task: {} }, 'task.queue'],
    [
      'idempotency key',
      { name: 'a', everyMs: 1000, task: { queue: 'q', idempotencyKey: 'k' } },
      'task',
    ],
    ['bad policy', { name: 'a', everyMs: 1000, missed: 'twice', task }, 'missed'],
  ];
  for (const [what, body, field] of cases) {
    const r = await post(body);
    t.equal(r.status, 400, what);
    const paths = (r.json.error.details?.issues ?? []).map((i: { path: string }) => i.path);
    t.ok(paths.includes(field), `${what}: names ${field} (${JSON.stringify(r.json.error)})`);
  }
  const ok = await post({ name: 'a', cron: '0 30 2 * * *', tz: 'Europe/Berlin', task });
  t.equal(ok.status, 201);
  const again = await post({ name: 'a', everyMs: 60_000, task });
  t.equal(again.status, 409);
  t.equal(again.json.error.code, 'SCHEDULE_EXISTS');
  const missing = await restCall(`${th.httpUrl}/api/v1/schedules/nope/pause`, 'POST');
  t.equal(missing.status, 404);
  t.equal(missing.json.error.code, 'SCHEDULE_NOT_FOUND');
});

t.test("tokens: producers on the template's queue; listings filtered", async (t) => {
  const th = await startTestHub({ auth: { enabled: true, secret: SECRET } });
  t.teardown(() => th.stop());
  const billing = await mintToken(SECRET, { role: 'producer', queues: ['billing'] });
  const mail = await mintToken(SECRET, { role: 'producer', queues: ['mail*'] });
  const worker = await mintToken(SECRET, { role: 'worker' });
  const admin = await mintToken(SECRET, { role: 'admin' });
  const url = `${th.httpUrl}/api/v1/schedules`;
  const body = (name: string, queue: string) => ({ name, everyMs: 3_600_000, task: { queue } });

  t.equal(
    (await restCall(url, 'POST', { body: body('b', 'billing'), token: billing })).status,
    201,
  );
  t.equal((await restCall(url, 'POST', { body: body('m', 'mail-out'), token: mail })).status, 201);
  const foreign = await restCall(url, 'POST', { body: body('x', 'mail-out'), token: billing });
  t.equal(foreign.status, 403, 'not on a queue the token does not allow');
  t.equal(foreign.json.error.code, 'FORBIDDEN');
  const byWorker = await restCall(url, 'POST', { body: body('w', 'billing'), token: worker });
  t.equal(byWorker.status, 403, 'not with a worker token');
  t.equal((await restCall(url, 'POST', { body: body('a', 'any'), token: admin })).status, 201);

  const names = async (token: string) =>
    ((await restCall(url, 'GET', { token })).json.schedules as { name: string }[]).map(
      (s) => s.name,
    );
  t.same(await names(billing), ['b']);
  t.same(await names(mail), ['m']);
  t.same(await names(admin), ['a', 'b', 'm']);
  const pause = await restCall(`${url}/m/pause`, 'POST', { token: billing });
  t.equal(pause.status, 403, "another queue's schedule cannot be paused");
  const remove = await restCall(`${url}/m`, 'DELETE', { token: billing });
  t.equal(remove.status, 403, 'nor removed');
  t.equal((await restCall(`${url}/m`, 'DELETE', { token: mail })).status, 200);
  t.equal((await restCall(url, 'GET')).status, 401, 'no token, no schedules');
});

t.test('CLI: schedule add, list, show, pause, resume, remove', async (t) => {
  const th = await startTestHub();
  t.teardown(() => th.stop());
  const got: unknown[] = [];
  const worker = new Worker({ url: th.wsUrl, queues: ['cli-q'] }, async (task) => {
    got.push(task.payload);
    return null;
  });
  t.teardown(() => worker.close());
  await worker.start();
  const url = ['--url', th.httpUrl];
  const add = await cli([
    'schedule',
    'add',
    'beat',
    '--every',
    '1s',
    '--queue',
    'cli-q',
    '--payload',
    '{"n":1}',
    ...url,
  ]);
  t.equal(add.status, 0, add.stderr);
  t.match(add.stdout, /^schedule beat: every 1s → cli-q, next \d{4}-/);
  const cron = await cli([
    'schedule',
    'add',
    'nightly',
    '--cron',
    '0 3 * * *',
    '--tz',
    'Europe/Berlin',
    '--queue',
    'cli-q',
    '--missed',
    'skip',
    ...url,
  ]);
  t.equal(cron.status, 0, cron.stderr);
  t.match(cron.stdout, /cron 0 3 \* \* \* \(Europe\/Berlin\)/);
  await until(() => got.length >= 2, 10_000);
  t.same(got[0], { n: 1 });

  const list = await cli(['schedule', 'list', ...url]);
  t.equal(list.status, 0, list.stderr);
  t.match(list.stdout, /^beat\tevery 1s\t→ cli-q\tnext .*\tfires \d+\nnightly\tcron 0 3/);
  const show = await cli(['schedule', 'show', 'nightly', ...url, '--json']);
  t.equal(JSON.parse(show.stdout).missed, 'skip');
  t.equal((await cli(['schedule', 'pause', 'beat', ...url])).stdout, 'schedule beat paused\n');
  t.match(
    (await cli(['schedule', 'resume', 'beat', ...url])).stdout,
    /^schedule beat resumed, next /,
  );
  t.equal((await cli(['schedule', 'remove', 'beat', ...url])).stdout, 'schedule beat removed\n');

  const bad = await cli(['schedule', 'add', 'x', '--cron', '99 * * * *', '--queue', 'q', ...url]);
  t.not(bad.status, 0);
  t.match(bad.stderr, /cron/);
  const both = await cli([
    'schedule',
    'add',
    'x',
    '--cron',
    '* * * * *',
    '--every',
    '1s',
    '--queue',
    'q',
    ...url,
  ]);
  t.not(both.status, 0);
  t.match(both.stderr, /exactly one of --cron EXPR and --every DURATION/);
  const gone = await cli(['schedule', 'show', 'beat', ...url]);
  t.not(gone.status, 0);
  t.match(gone.stderr, /SCHEDULE_NOT_FOUND|no schedule beat/);
});
