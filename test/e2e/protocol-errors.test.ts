import t from 'tap';
import { SignJWT } from 'jose';
import { CloseCode, encodeFrameCopy, ErrorCode } from '../../protocol/index.js';
import { mintToken } from '../../server/auth/index.js';
import { startTestHub } from '../helpers/hub.js';
import { RawClient } from '../helpers/raw-client.js';

const SECRET = 'test-secret-test-secret-test-secret-42';

for (const transport of ['uws', 'ws'] as const) {
  t.test(
    `bad frames get error frames and the connection stays healthy (${transport})`,
    async (t) => {
      const th = await startTestHub({ transport, maxFrameBytes: 4096 });
      t.teardown(th.stop);
      const c = await RawClient.open(th.wsUrl);
      t.teardown(() => c.close());

      c.sendBytes(Uint8Array.from([0xc1, 0xc1, 0xc1])); // 0xc1 is never valid msgpack
      const bad = await c.next((f) => f.t === 'error');
      t.equal(bad.code, ErrorCode.BAD_FRAME, 'malformed msgpack → BAD_FRAME');

      c.send({ t: 'teleport', id: 7 });
      const unknown = await c.next((f) => f.t === 'error');
      t.equal(unknown.code, ErrorCode.UNKNOWN_FRAME);
      t.equal(unknown.id, 7, 'the request id is echoed');

      c.send({ t: 'submit', id: 8, task: { queue: 'q', payload: 'x'.repeat(5000) } });
      const big = await c.next((f) => f.t === 'error');
      t.equal(big.code, ErrorCode.FRAME_TOO_LARGE);

      c.send({ t: 'submit', id: 9, task: { queue: 'bad queue name!', priority: 'urgent' } });
      const invalid = await c.next((f) => f.t === 'error');
      t.equal(invalid.code, ErrorCode.INVALID_FRAME);
      t.equal(invalid.id, 9);
      t.match(String(invalid.message), /task\.(queue|priority)/, 'the message names the field');

      c.send({ t: 'register', id: 10, queues: ['q'] });
      await c.next((f) => f.t === 'registered' && f.id === 10);
      c.send({ t: 'complete', id: 11, taskId: 'nope', attempt: 1, result: 1 });
      const notHeld = await c.next((f) => f.t === 'error');
      t.equal(notHeld.code, ErrorCode.LEASE_NOT_HELD);
      t.equal(notHeld.id, 11);

      // Still healthy: a real submit round-trips.
      c.send({ t: 'submit', id: 12, task: { queue: 'q', payload: 1 } });
      const ok = await c.next((f) => f.t === 'submitted' && f.id === 12);
      t.type(ok.taskId, 'string');
      const pushed = await c.next((f) => f.t === 'task');
      t.equal(pushed.taskId, ok.taskId, 'the worker (same connection) got the task');
      t.equal(c.closeCode, undefined, 'connection still open');
      const health = await fetch(`${th.httpUrl}/health`);
      t.equal(health.status, 200, 'hub still healthy');
    },
  );

  t.test(`frames before hello are refused (${transport})`, async (t) => {
    const th = await startTestHub({ transport });
    t.teardown(th.stop);
    const c = await RawClient.connect(th.wsUrl);
    t.teardown(() => c.close());
    c.send({ t: 'submit', id: 3, task: { queue: 'q' } });
    const err = await c.next((f) => f.t === 'error');
    t.equal(err.code, ErrorCode.NOT_AUTHENTICATED);
  });

  t.test(`authentication (${transport})`, async (t) => {
    const th = await startTestHub({ transport, auth: { enabled: true, secret: SECRET } });
    t.teardown(th.stop);

    const missing = await RawClient.connect(th.wsUrl);
    missing.send({ t: 'hello', id: 1, protocol: 1 });
    t.equal(await missing.closed(), CloseCode.UNAUTHORIZED, 'missing token → 4001');

    const forged = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('switchboard')
      .sign(new TextEncoder().encode('not-the-secret-not-the-secret-000000'));
    const f = await RawClient.connect(th.wsUrl);
    f.send({ t: 'hello', id: 1, protocol: 1, token: forged });
    t.equal(await f.closed(), CloseCode.UNAUTHORIZED, 'forged token → 4001');

    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"role":"admin","iss":"switchboard"}').toString('base64url')}.`;
    const n = await RawClient.connect(th.wsUrl);
    n.send({ t: 'hello', id: 1, protocol: 1, token: unsigned });
    t.equal(await n.closed(), CloseCode.UNAUTHORIZED, 'alg none → 4001');

    // The right secret under another HMAC algorithm: refused because HS256 is pinned.
    const otherAlg = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS512' })
      .setIssuer('switchboard')
      .sign(new TextEncoder().encode(SECRET));
    const o = await RawClient.connect(th.wsUrl);
    o.send({ t: 'hello', id: 1, protocol: 1, token: otherAlg });
    t.equal(await o.closed(), CloseCode.UNAUTHORIZED, 'HS512 with the right secret → 4001');

    const producerToken = await mintToken(SECRET, { role: 'producer', queues: ['emails'] });
    const p = await RawClient.open(th.wsUrl, producerToken);
    t.teardown(() => p.close());
    p.send({ t: 'register', id: 2, queues: ['emails'] });
    t.equal(
      (await p.next((fr) => fr.t === 'error')).code,
      ErrorCode.FORBIDDEN,
      'producer cannot register',
    );
    p.send({ t: 'submit', id: 3, task: { queue: 'billing' } });
    t.equal(
      (await p.next((fr) => fr.t === 'error')).code,
      ErrorCode.FORBIDDEN,
      'queue outside the token',
    );
    p.send({ t: 'submit', id: 4, task: { queue: 'emails' } });
    t.ok(await p.next((fr) => fr.t === 'submitted'), 'allowed queue works');
  });

  t.test(`handshake timeout and protocol version (${transport})`, async (t) => {
    const th = await startTestHub({ transport, handshakeTimeoutMs: 200 });
    t.teardown(th.stop);
    const silent = await RawClient.connect(th.wsUrl);
    t.equal(await silent.closed(), CloseCode.HANDSHAKE_TIMEOUT);
    const future = await RawClient.connect(th.wsUrl);
    future.sendBytes(encodeFrameCopy({ t: 'hello', id: 1, protocol: 99 }));
    t.equal(await future.closed(), CloseCode.UNSUPPORTED_PROTOCOL);
  });
}
