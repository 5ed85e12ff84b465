import t from 'tap';
import { mintToken } from '../../server/auth/index.js';
import { startTestHub } from '../helpers/hub.js';
import { restCall } from '../helpers/rest-call.js';

const SECRET = 'rest-secret-rest-secret-rest-secret-1';

const call = (url: string, method: string, body?: unknown, token?: string) =>
  restCall(url, method, { body, token });

t.test('REST: tasks, queues, workers, errors', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  const api = `${th.httpUrl}/api/v1`;

  const many = await call(`${api}/tasks`, 'POST', {
    tasks: Array.from({ length: 25 }, (_, i) => ({
      queue: 'mail',
      payload: i,
      priority: i % 2 ? 'high' : 'low',
    })),
  });
  t.equal(many.status, 201);
  t.equal(many.json.taskIds.length, 25);

  const dup1 = await call(`${api}/tasks`, 'POST', { queue: 'mail', idempotencyKey: 'k1' });
  const dup2 = await call(`${api}/tasks`, 'POST', { queue: 'mail', idempotencyKey: 'k1' });
  t.equal(dup2.json.id, dup1.json.id, 'idempotency key returns the first task');
  t.equal(dup2.json.duplicate, true);

  // Cursor pagination walks every task exactly once.
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { json: any } = await call(
      `${api}/tasks?queue=mail&state=queued&limit=10${cursor ? `&cursor=${cursor}` : ''}`,
      'GET',
    );
    seen.push(...page.json.tasks.map((x: { id: string }) => x.id));
    cursor = page.json.nextCursor;
  } while (cursor);
  t.equal(seen.length, 26);
  t.equal(new Set(seen).size, 26, 'no duplicates across pages');

  const queues = await call(`${api}/queues`, 'GET');
  const mail = queues.json.queues.find((q: { name: string }) => q.name === 'mail');
  t.equal(mail.depth.high, 12);
  t.equal(mail.depth.low, 13 + 1 - 1 + 0, 'low 13');

  t.equal((await call(`${api}/queues/mail/pause`, 'POST')).json.paused, true);
  t.equal((await call(`${api}/queues/mail/resume`, 'POST')).json.paused, false);

  const cancelled = await call(`${api}/tasks/${seen[0]}/cancel`, 'POST', {
    reason: 'changed my mind',
  });
  t.equal(cancelled.json.state, 'cancelled');
  const twice = await call(`${api}/tasks/${seen[0]}/cancel`, 'POST');
  t.equal(twice.status, 409);
  t.equal(twice.json.error.code, 'INVALID_STATE');

  const notDead = await call(`${api}/tasks/${seen[1]}/retry`, 'POST');
  t.equal(notDead.status, 409, 'only dead tasks can be retried');

  const missing = await call(`${api}/tasks/nope`, 'GET');
  t.equal(missing.status, 404);
  t.equal(missing.json.error.code, 'TASK_NOT_FOUND', 'the code names what is missing');

  const badJson = await call(`${api}/tasks`, 'POST', '{"queue": ');
  t.equal(badJson.status, 400);
  t.equal(badJson.json.error.code, 'INVALID_JSON');
  const badSpec = await call(`${api}/tasks`, 'POST', {
    queue: 'mail',
    priority: 'urgent',
    maxAttempts: 0,
  });
  t.equal(badSpec.status, 400);
  t.match(badSpec.json.error.message, /priority/);
  t.match(badSpec.json.error.message, /maxAttempts/);
  const unknownKey = await call(`${api}/tasks`, 'POST', { queue: 'mail', colour: 'red' });
  t.equal(unknownKey.status, 400, 'unknown fields are rejected, not ignored');

  const noRoute = await call(`${api}/nothing`, 'GET');
  t.equal(noRoute.status, 404);
  const wrongMethod = await call(`${api}/queues`, 'DELETE');
  t.equal(wrongMethod.status, 405);

  t.equal((await call(`${api}/queues/none/dead`, 'DELETE')).status, 404);
  t.same((await call(`${api}/workers`, 'GET')).json.workers, []);
  t.equal((await call(`${api}/workers/ghost/drain`, 'POST')).status, 404);
});

t.test('REST auth: roles, queues, open health', async (t) => {
  const th = await startTestHub({ auth: { enabled: true, secret: SECRET } });
  t.teardown(th.stop);
  const api = `${th.httpUrl}/api/v1`;
  const admin = await mintToken(SECRET, { role: 'admin' });
  const producer = await mintToken(SECRET, { role: 'producer', queues: ['mail*'] });
  const worker = await mintToken(SECRET, { role: 'worker' });

  t.equal((await call(`${th.httpUrl}/health`, 'GET')).status, 200, '/health is open');
  t.equal((await call(`${th.httpUrl}/ready`, 'GET')).status, 200, '/ready is open');
  const anon = await call(`${api}/tasks`, 'POST', { queue: 'mail' });
  t.equal(anon.status, 401);
  t.equal(anon.json.error.code, 'UNAUTHORIZED');
  t.equal((await call(`${api}/tasks`, 'POST', { queue: 'mail' }, 'garbage')).status, 401);
  t.equal(
    (await call(`${api}/tasks`, 'POST', { queue: 'mail-eu' }, producer)).status,
    201,
    'prefix pattern',
  );
  t.equal(
    (await call(`${api}/tasks`, 'POST', { queue: 'billing' }, producer)).status,
    403,
    'queue outside the token',
  );
  t.equal(
    (await call(`${api}/tasks`, 'POST', { queue: 'mail' }, worker)).status,
    403,
    'worker cannot submit',
  );
  t.equal(
    (await call(`${api}/queues`, 'GET', undefined, producer)).status,
    403,
    'producer cannot manage',
  );
  t.equal((await call(`${api}/queues`, 'GET', undefined, admin)).status, 200);
  t.equal((await call(`${th.httpUrl}/metrics`, 'GET')).status, 401, '/metrics needs a token');
  const metrics = await fetch(`${th.httpUrl}/metrics`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  t.equal(metrics.status, 200);
  t.match(await metrics.text(), /switchboard_tasks_submitted_total\{queue="mail-eu"\} 1/);
});
