import t from 'tap';
import { ErrorCode } from '../../protocol/index.js';
import { startTestHub } from '../helpers/hub.js';
import { limitsWith, metricValue, rawExchange } from './net-helpers.js';

const MAX_BODY = 1 << 20; // startTestHub's maxBodyBytes

t.test('a body over the limit gets 413 with a JSON body, not a reset', async (t) => {
  const h = await startTestHub();
  t.teardown(() => h.stop());
  const before = (await fetch(`${h.httpUrl}/api/v1/queues`).then((r) => r.json())) as unknown;

  // fetch streams the whole 3 MB body: the hub answers while it is still arriving.
  const big = JSON.stringify({ queue: 'big', payload: 'x'.repeat(3 * MAX_BODY) });
  const res = await fetch(`${h.httpUrl}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: big,
  });
  t.equal(res.status, 413);
  t.equal(res.headers.get('connection'), 'close');
  const body = (await res.json()) as { error: { code: string; message: string } };
  t.equal(body.error.code, ErrorCode.BODY_TOO_LARGE);
  t.match(body.error.message, /exceeds 1048576 bytes/);

  // Chunked, no content-length: the limit is found while reading.
  const chunked = await rawExchange(h.http.port, (s) => {
    s.write(
      'POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n',
    );
    const chunk = 'y'.repeat(64 * 1024);
    let sent = 0;
    const pump = (): void => {
      while (sent < 40 && !s.destroyed) {
        sent++;
        if (!s.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`))
          return void s.once('drain', pump);
      }
    };
    pump();
  });
  t.match(chunked.text, /^HTTP\/1\.1 413 /, 'a chunked body over the limit: 413 as well');
  t.match(chunked.text, /"code":"BODY_TOO_LARGE"/);

  // A content-length over the limit is refused before a byte of body is read.
  const announced = await rawExchange(h.http.port, (s) =>
    s.write(
      `POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${10 * MAX_BODY}\r\n\r\n`,
    ),
  );
  t.match(announced.text, /^HTTP\/1\.1 413 /);
  t.ok(announced.closedAfterMs < 5000, 'and the connection is closed, bounded');

  const after = (await fetch(`${h.httpUrl}/api/v1/queues`).then((r) => r.json())) as unknown;
  t.same(after, before, 'nothing was accepted');
  const metrics = await fetch(`${h.httpUrl}/metrics`).then((r) => r.text());
  t.equal(metricValue(metrics, 'switchboard_limit_hits_total', 'limit="http_body_too_large"'), 3);
});

t.test('a body that is not JSON by its content type gets 415', async (t) => {
  const h = await startTestHub();
  t.teardown(() => h.stop());
  const task = JSON.stringify({ queue: 'ct', payload: 1 });
  for (const type of [
    'application/x-www-form-urlencoded',
    'text/plain',
    'application/json; charset=latin1',
  ]) {
    const res = await fetch(`${h.httpUrl}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: task,
    });
    t.equal(res.status, 415, type);
    t.match(await res.json(), {
      error: { code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, message: /application\/json/ },
    });
  }
  for (const type of [
    'application/json',
    'Application/JSON; charset=UTF-8',
    'application/merge-patch+json',
  ]) {
    const res = await fetch(`${h.httpUrl}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: task,
    });
    t.equal(res.status, 201, `${type} accepted`);
  }
  // No content type at all: read as JSON (documented).
  const bare = await rawExchange(h.http.port, (s) =>
    s.end(
      `POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nconnection: close\r\ncontent-length: ${task.length}\r\n\r\n${task}`,
    ),
  );
  t.match(bare.text, /^HTTP\/1\.1 201 /, 'no content type: accepted as JSON');
  const metrics = await fetch(`${h.httpUrl}/metrics`).then((r) => r.text());
  t.equal(metricValue(metrics, 'switchboard_limit_hits_total', 'limit="http_content_type"'), 3);
});

t.test('JSON nested 10,000 deep gets 400 and the hub keeps serving', async (t) => {
  const h = await startTestHub({ limits: limitsWith({}, { maxJsonDepth: 33 }) });
  t.teardown(() => h.stop());
  const post = (body: string): Promise<Response> =>
    fetch(`${h.httpUrl}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
  for (const [name, open, close] of [
    ['arrays', '[', ']'],
    ['objects', '{"a":', '}'],
  ] as const) {
    const deep = `{"queue":"deep","payload":${open.repeat(10_000)}1${close.repeat(10_000)}}`;
    const res = await post(deep);
    t.equal(res.status, 400, `${name} 10,000 deep`);
    const body = (await res.json()) as { error: { code: string; message: string } };
    t.equal(body.error.code, ErrorCode.INVALID_JSON);
    t.match(body.error.message, /deeper than 33 levels/);
  }
  // Brackets inside strings are text, not nesting.
  const inString = await post(JSON.stringify({ queue: 'deep', payload: '['.repeat(10_000) }));
  t.equal(inString.status, 201, 'brackets inside a string do not count');
  // 32 levels of payload (MAX_VALUE_DEPTH) inside the 1-level envelope: exactly at the limit.
  const atLimit = await post(`{"queue":"deep","payload":${'['.repeat(32)}${']'.repeat(32)}}`);
  t.equal(atLimit.status, 201, 'at the limit: accepted');
  const health = await fetch(`${h.httpUrl}/health`);
  t.equal(health.status, 200, 'the hub is alive');
  const metrics = await fetch(`${h.httpUrl}/metrics`).then((r) => r.text());
  t.equal(metricValue(metrics, 'switchboard_limit_hits_total', 'limit="http_json_depth"'), 2);
});
