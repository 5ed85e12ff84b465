import net from 'node:net';
import t from 'tap';
import { ErrorCode } from '../../protocol/index.js';
import { startTestHub } from '../helpers/hub.js';

// Each case here was found by the REST fuzzer (rest-api.test.ts); the test says what a
// client sees now.

/** Write raw bytes to the side port and read everything until the hub closes or goes quiet. */
function rawHttp(port: number, request: string | Buffer, quietMs = 1500): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    });
    s.on('end', done);
    s.on('error', (err) => (chunks.length ? done() : reject(err)));
    s.write(request);
  });
}

function parse(raw: string): { status: number; headers: string; body: string } {
  const at = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, at);
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
    headers: head,
    body: raw.slice(at + 4),
  };
}

t.test(
  'a request target starting with // is a path, not a host: no 500, no misrouting',
  async (t) => {
    const hub = await startTestHub();
    t.teardown(() => hub.stop());
    const port = hub.http.port;
    for (const target of ['//', '///?x=1', '//%F3%82%8F%BE//x']) {
      const r = parse(
        await rawHttp(port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`),
      );
      t.equal(
        r.status,
        404,
        `${target}: 404, was 500 (new URL read it as scheme-relative and threw)`,
      );
      t.equal(JSON.parse(r.body).error.code, ErrorCode.NOT_FOUND);
    }
    // Before: "evil.com" was taken as the host and the request served as GET /api/v1/stats.
    const r = parse(
      await rawHttp(
        port,
        `GET //evil.com/api/v1/stats HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
      ),
    );
    t.equal(r.status, 404, 'the first segment is part of the path');
    const ok = parse(
      await rawHttp(port, `GET //api/v1/stats HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`),
    );
    t.equal(ok.status, 200, 'a doubled slash is an empty segment, ignored like any other');
  },
);

t.test('requests the HTTP parser refuses get a JSON error body too', async (t) => {
  const hub = await startTestHub();
  t.teardown(() => hub.stop());
  const port = hub.http.port;
  const cases: [string, string, number][] = [
    ['an unknown method', 'FUZZ /health HTTP/1.1\r\nhost: x\r\n\r\n', 400],
    ['a target that is not a path', 'GET ?x=1 HTTP/1.1\r\nhost: x\r\n\r\n', 400],
    ['a malformed header', 'GET /health HTTP/1.1\r\nhost x\r\n\r\n', 400],
    [
      'headers past the limit',
      `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
    ],
  ];
  for (const [what, request, status] of cases) {
    const r = parse(await rawHttp(port, request));
    t.equal(r.status, status, `${what}: ${status}`);
    t.match(r.headers, /content-type: application\/json/i, `${what}: JSON`);
    const body = JSON.parse(r.body) as { error: { code: string; message: string } };
    t.type(body.error.code, 'string', `${what}: {error:{code}}`);
    t.type(body.error.message, 'string', `${what}: {error:{message}}`);
  }
  // HEAD gets the status and headers but no body: a body would be read as the next reply.
  const head = await rawHttp(port, 'HEAD ?x HTTP/1.1\r\nhost: x\r\n\r\n');
  t.equal(parse(head).status, 400);
  t.equal(parse(head).body, '', 'no body after a HEAD');
  const health = await fetch(`${hub.httpUrl}/health`);
  t.equal(health.status, 200, 'the side port still serves');
});

t.test('a body over the limit gets its 413 instead of a connection reset', async (t) => {
  const hub = await startTestHub();
  t.teardown(() => hub.stop());
  // The test hub's limit is 1 MiB; 3 MiB is sent whole, as an uploading client would.
  const body = JSON.stringify({ queue: 'q', payload: 'x'.repeat(3 << 20) });
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${hub.httpUrl}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    t.equal(res.status, 413);
    const json = (await res.json()) as { error: { code: string } };
    t.equal(json.error.code, ErrorCode.BODY_TOO_LARGE);
  }
  t.equal(hub.hub.core.tasks.size, 0, 'nothing was stored');
});

t.test('HEAD on the event stream answers its headers instead of hanging', async (t) => {
  const hub = await startTestHub();
  t.teardown(() => hub.stop());
  const res = await fetch(`${hub.httpUrl}/api/v1/events`, {
    method: 'HEAD',
    signal: AbortSignal.timeout(5000),
  });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /text\/event-stream/);
  t.equal(hub.hub.events.subscribers, 0, 'no subscriber is left behind');
});
