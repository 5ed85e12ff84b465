import t from 'tap';
import { mintToken } from '../../server/auth/index.js';
import { statusOfCode, ErrorCode } from '../../protocol/index.js';
import { startTestHub } from '../helpers/hub.js';
import { limitsWith, rawExchange } from '../limits/net-helpers.js';

/**
 * Each refusal of the HTTP side port, through a real hub: the status a client gets, the code
 * in `{"error":{"code","message"}}`, and that the two agree with protocol/error-registry.ts
 * (one table decides the status). A refused submit stores nothing.
 */
const SECRET = 'statuses-secret-statuses-secret-0001';

interface Answer {
  status: number;
  code: string;
  message: string;
  allow: string | null;
}

async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const body = (await res.json()) as { error: { code: string; message: string } };
  return {
    status: res.status,
    code: body.error.code,
    message: body.error.message,
    allow: res.headers.get('allow'),
  };
}

/** The status line and the JSON error code of a raw exchange. */
function rawAnswer(text: string): { status: number; code: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
  return { status, code: body.error.code };
}

const json = { 'content-type': 'application/json' };

t.test('every HTTP refusal has its own code and the registry status', async (t) => {
  const th = await startTestHub({
    limits: limitsWith({}, { headersTimeoutMs: 500, requestTimeoutMs: 500, maxJsonDepth: 16 }),
  });
  t.teardown(th.stop);
  const api = `${th.httpUrl}/api/v1`;
  const submitted = await fetch(`${api}/tasks`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ queue: 'q', payload: 1 }),
  });
  t.equal(submitted.status, 201, 'a good submit is taken (so the refusals below are refusals)');
  const { id } = (await submitted.json()) as { id: string };

  const cases: [string, number, string, Promise<Answer>][] = [
    [
      'a method the path does not take',
      405,
      ErrorCode.METHOD_NOT_ALLOWED,
      send(`${api}/queues`, { method: 'DELETE' }),
    ],
    [
      'a body that is not JSON',
      400,
      ErrorCode.INVALID_JSON,
      send(`${api}/tasks`, { method: 'POST', headers: json, body: '{"queue": ' }),
    ],
    [
      'a body nested past maxJsonDepth',
      400,
      ErrorCode.INVALID_JSON,
      send(`${api}/tasks`, {
        method: 'POST',
        headers: json,
        body: `{"queue":"q","payload":${'['.repeat(40)}${']'.repeat(40)}}`,
      }),
    ],
    [
      'a body over the size limit',
      413,
      ErrorCode.BODY_TOO_LARGE,
      send(`${api}/tasks`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ queue: 'q', payload: 'x'.repeat(2 << 20) }),
      }),
    ],
    [
      'a body that is not application/json',
      415,
      ErrorCode.UNSUPPORTED_MEDIA_TYPE,
      send(`${api}/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'q',
      }),
    ],
    [
      'a field out of range',
      400,
      ErrorCode.INVALID_FRAME,
      send(`${api}/tasks`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ queue: 'q', priority: 'urgent' }),
      }),
    ],
    ['no such route', 404, ErrorCode.NOT_FOUND, send(`${api}/nothing`)],
    ['no such task', 404, ErrorCode.TASK_NOT_FOUND, send(`${api}/tasks/nope`)],
    [
      'a retry of a task that is not dead',
      409,
      ErrorCode.INVALID_STATE,
      send(`${api}/tasks/${id}/retry`, { method: 'POST' }),
    ],
  ];
  for (const [what, status, code, answer] of cases) {
    const a = await answer;
    t.equal(a.status, status, `${what}: ${status}`);
    t.equal(a.code, code, `${what}: ${code}`);
    t.equal(statusOfCode(a.code), a.status, `${what}: the status is the registry's`);
    t.ok(a.message.length > 0, `${what}: a message`);
  }
  const wrong = await send(`${api}/queues`, { method: 'DELETE' });
  t.equal(wrong.allow, 'GET', 'the 405 names the allowed method');
  t.equal(th.hub.core.tasks.size, 1, 'no refused submit stored anything');

  // Refused by node's HTTP parser, before any route: answered on the raw socket.
  const raw = async (request: string) =>
    rawAnswer((await rawExchange(th.http.port, (s) => s.write(request), 10_000)).text);
  const big = await raw(`GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
  t.same(big, { status: 431, code: ErrorCode.HEADERS_TOO_LARGE }, 'headers over the limit');
  const bad = await raw('GET /health HTTP/1.1\r\nhost x\r\n\r\n');
  t.same(bad, { status: 400, code: ErrorCode.MALFORMED_REQUEST }, 'a malformed header line');
  const target = await raw('GET ?x=1 HTTP/1.1\r\nhost: x\r\n\r\n');
  t.same(target, { status: 400, code: ErrorCode.MALFORMED_REQUEST }, 'a target that is no path');
  const slow = await raw('GET /health HTTP/1.1\r\nhost: x\r\n');
  t.same(slow, { status: 408, code: ErrorCode.REQUEST_TIMEOUT }, 'headers that never end');
  for (const r of [big, bad, target, slow]) t.equal(statusOfCode(r.code), r.status);
});

t.test('401 and 403 with a token', async (t) => {
  const th = await startTestHub({ auth: { enabled: true, secret: SECRET } });
  t.teardown(th.stop);
  const api = `${th.httpUrl}/api/v1`;
  const worker = await mintToken(SECRET, { role: 'worker' });
  const producer = await mintToken(SECRET, { role: 'producer', queues: ['a'] });
  const submit = (token: string | undefined, queue: string) =>
    send(`${api}/tasks`, {
      method: 'POST',
      headers: { ...json, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ queue }),
    });
  const none = await submit(undefined, 'a');
  t.same([none.status, none.code], [401, ErrorCode.UNAUTHORIZED], 'no token');
  const forged = await submit('not-a-jwt', 'a');
  t.same([forged.status, forged.code], [401, ErrorCode.UNAUTHORIZED], 'a forged token');
  const role = await submit(worker, 'a');
  t.same([role.status, role.code], [403, ErrorCode.FORBIDDEN], 'a role that may not submit');
  const queue = await submit(producer, 'b');
  t.same([queue.status, queue.code], [403, ErrorCode.FORBIDDEN], 'a queue outside the token');
  const ok = await fetch(`${api}/tasks`, {
    method: 'POST',
    headers: { ...json, authorization: `Bearer ${producer}` },
    body: JSON.stringify({ queue: 'a' }),
  });
  t.equal(ok.status, 201, 'the same token on its own queue is served');
  t.equal(th.hub.core.tasks.size, 1, 'only the allowed submit was stored');
});
