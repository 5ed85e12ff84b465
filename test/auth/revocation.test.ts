import t from 'tap';
import { AuthError, Producer, Worker, type ConnectionStatus } from '../../index.js';
import { issueToken, mintToken, verifyToken } from '../../server/auth/index.js';
import { startTestHub } from '../helpers/hub.js';
import { RawClient } from '../helpers/raw-client.js';
import { restCall } from '../helpers/rest-call.js';

const SECRET = 'revoke-secret-revoke-secret-revoke-01';

const call = (url: string, method: string, token: string | undefined, body?: unknown) =>
  restCall(url, method, { body, token });

async function authHub(t: { teardown(fn: () => unknown): void }) {
  const th = await startTestHub({ auth: { enabled: true, secret: SECRET } });
  t.teardown(th.stop);
  const admin = await mintToken(SECRET, { role: 'admin', subject: 'ops' });
  return { th, admin, api: `${th.httpUrl}/api/v1` };
}

/** Connect, say hello, and report how the hub ended it: welcome, or a close code. */
async function hello(url: string, token: string): Promise<RawClient> {
  const c = await RawClient.connect(url);
  c.send({ t: 'hello', id: 1, protocol: 1, token });
  return c;
}

t.test('every token carries an id; the grant has id, issue and expiry times', async (t) => {
  const before = Date.now();
  const a = await issueToken(SECRET, { role: 'worker', subject: 'ci', ttl: '1h' });
  const b = await issueToken(SECRET, { role: 'worker', subject: 'ci', ttl: '1h' });
  t.match(a.id, /^[A-Za-z0-9_-]{22}$/, '128 random bits, base64url');
  t.not(a.id, b.id, 'ids differ');
  const grant = await verifyToken(SECRET, a.token);
  t.equal(grant.tokenId, a.id);
  t.equal(grant.subject, 'ci');
  t.ok(grant.issuedAt! >= before && grant.issuedAt! <= Date.now(), 'issuedAt in ms');
  t.equal(grant.expiresAt, a.expiresAt);
  t.ok(Math.abs(grant.expiresAt! - (before + 3_600_000)) < 2000, 'expires in an hour');
  const forever = await verifyToken(SECRET, await mintToken(SECRET, { role: 'producer' }));
  t.equal(forever.expiresAt, undefined, 'no ttl: never expires');
});

t.test(
  'REST revoke by id closes the live session with 4004 and refuses the token after',
  async (t) => {
    const { th, admin, api } = await authHub(t);
    const victim = await issueToken(SECRET, { role: 'producer', subject: 'app' });
    const other = await issueToken(SECRET, { role: 'producer', subject: 'app' });
    const live = await RawClient.open(th.wsUrl, victim.token);
    const bystander = await RawClient.open(th.wsUrl, other.token);
    t.equal((await call(`${api}/tasks`, 'POST', victim.token, { queue: 'q' })).status, 201);

    const started = Date.now();
    const res = await call(`${api}/tokens/revoke`, 'POST', admin, {
      id: victim.id,
      reason: 'leaked',
    });
    t.equal(res.status, 200);
    t.same(res.json, { revoked: { id: victim.id }, sessionsClosed: 1 });
    t.equal(await live.closed(1000), 4004, 'closed with TOKEN_REVOKED');
    t.equal(live.closeReason, 'token revoked');
    t.ok(Date.now() - started < 1000, 'within a second');

    // The other token of the same subject is untouched.
    bystander.send({ t: 'heartbeat', id: 7 });
    t.ok(await bystander.next((f) => f.t === 'ack' && f.id === 7), 'other session still served');

    const again = await hello(th.wsUrl, victim.token);
    t.equal(await again.closed(), 4001, 'a new session with it is refused');
    t.equal(again.closeReason, 'unauthorized: token revoked');
    const http = await call(`${api}/tasks`, 'POST', victim.token, { queue: 'q' });
    t.equal(http.status, 401);
    t.equal(http.json.error.code, 'UNAUTHORIZED');
    t.match(http.json.error.message, /token revoked/);

    const list = await call(`${api}/tokens`, 'GET', admin);
    t.same(
      list.json.revocations.ids.map((r: { id: string; reason: string }) => [r.id, r.reason]),
      [[victim.id, 'leaked']],
    );
    bystander.close();
  },
);

t.test('revoke by subject: every token of it issued up to now, not the next one', async (t) => {
  const { th, admin, api } = await authHub(t);
  const old1 = await mintToken(SECRET, { role: 'producer', subject: 'ci' });
  const old2 = await mintToken(SECRET, { role: 'worker', subject: 'ci' });
  const unrelated = await mintToken(SECRET, { role: 'producer', subject: 'web' });
  const s1 = await RawClient.open(th.wsUrl, old1);
  const s2 = await RawClient.open(th.wsUrl, old2);
  const s3 = await RawClient.open(th.wsUrl, unrelated);
  const res = await call(`${api}/tokens/revoke`, 'POST', admin, { subject: 'ci' });
  t.equal(res.status, 200);
  t.equal(res.json.sessionsClosed, 2);
  t.equal(res.json.revoked.subject, 'ci');
  t.equal(await s1.closed(1000), 4004);
  t.equal(await s2.closed(1000), 4004);
  // Minted right after the revocation, in the same second: iat has millisecond precision.
  const fresh = await mintToken(SECRET, { role: 'producer', subject: 'ci' });
  const s4 = await RawClient.open(th.wsUrl, fresh);
  s4.send({ t: 'submit', id: 2, task: { queue: 'q' } });
  t.ok(await s4.next((f) => f.t === 'submitted'), 'a token minted after the revocation works');
  s3.send({ t: 'heartbeat', id: 3 });
  t.ok(await s3.next((f) => f.t === 'ack'), 'another subject is untouched');
  t.equal((await call(`${api}/tasks?limit=1`, 'GET', old1)).status, 401);
  s3.close();
  s4.close();
});

t.test('token routes: admin only, no queue scope, bodies validated', async (t) => {
  const { admin, api } = await authHub(t);
  const producer = await mintToken(SECRET, { role: 'producer' });
  const scopedAdmin = await mintToken(SECRET, { role: 'admin', queues: ['a'] });
  t.equal((await call(`${api}/tokens/revoke`, 'POST', producer, { subject: 'x' })).status, 403);
  const scoped = await call(`${api}/tokens/revoke`, 'POST', scopedAdmin, { subject: 'x' });
  t.equal(scoped.status, 403, 'an admin confined to queue a cannot revoke tokens');
  t.equal((await call(`${api}/tokens`, 'GET', scopedAdmin)).status, 403);
  const both = await call(`${api}/tokens/revoke`, 'POST', admin, { id: 'abc', subject: 'x' });
  t.equal(both.status, 400);
  t.match(both.json.error.message, /exactly one of id/);
  const neither = await call(`${api}/tokens/revoke`, 'POST', admin, {});
  t.equal(neither.status, 400);
  const badId = await call(`${api}/tokens/revoke`, 'POST', admin, { id: 'a b/../' });
  t.equal(badId.status, 400);
  t.match(badId.json.error.message, /id/);
  const huge = await call(`${api}/tokens/revoke`, 'POST', admin, { subject: 'x'.repeat(300) });
  t.equal(huge.status, 400);
  const extra = await call(`${api}/tokens/revoke`, 'POST', admin, { id: 'abc', all: true });
  t.equal(extra.status, 400, 'unknown fields refused');
  const list = await call(`${api}/tokens`, 'GET', admin);
  t.same(list.json.revocations, { ids: [], subjects: [] }, 'refused requests changed nothing');
});

t.test('SDK: a revoked token is an auth error, not a reconnect loop', async (t) => {
  const { th, admin, api } = await authHub(t);
  const minted = await issueToken(SECRET, { role: 'worker', subject: 'w1' });
  const worker = new Worker(
    {
      url: th.wsUrl,
      token: minted.token,
      queues: ['jobs'],
      reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
    },
    async () => 'ok',
  );
  const statuses: ConnectionStatus[] = [];
  const errors: Error[] = [];
  worker.on('status', (s) => statuses.push(s));
  worker.on('error', (e) => errors.push(e));
  await worker.start();
  t.equal(th.hub.core.workers.size, 1);
  await call(`${api}/tokens/revoke`, 'POST', admin, { id: minted.id });
  const deadline = Date.now() + 2000;
  while (!statuses.some((s) => s.type === 'closed') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const disconnected = statuses.find((s) => s.type === 'disconnected');
  t.equal(disconnected && 'code' in disconnected ? disconnected.code : undefined, 4004);
  const err = errors.find((e) => e instanceof AuthError) as AuthError | undefined;
  t.ok(err, 'an AuthError was emitted');
  t.equal(err?.code, 'TOKEN_REVOKED');
  t.equal(err?.closeCode, 4004);
  t.ok(
    statuses.some((s) => s.type === 'closed'),
    'status says closed',
  );
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(
    statuses.some((s) => s.type === 'reconnecting'),
    'no reconnect attempt with the revoked token',
  );
  await worker.close({ timeoutMs: 100 });
});

t.test('a session is closed with 4005 when its token expires; the SDK stops', async (t) => {
  const { th } = await authHub(t);
  // ttl in whole seconds: 2 s leaves time for the handshake on a busy machine.
  const raw = await issueToken(SECRET, { role: 'producer', ttl: 2 });
  const sdk = await issueToken(SECRET, { role: 'producer', ttl: 2 });
  const c = await RawClient.open(th.wsUrl, raw.token);
  const producer = new Producer({
    url: th.wsUrl,
    token: sdk.token,
    reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
  });
  const statuses: ConnectionStatus[] = [];
  const errors: Error[] = [];
  producer.on('status', (s) => statuses.push(s));
  producer.on('error', (e) => errors.push(e));
  await producer.submit('q', 1);
  t.equal(await c.closed(4000), 4005, 'raw session closed with TOKEN_EXPIRED');
  t.equal(c.closeReason, 'token expired');
  const late = Date.now() - raw.expiresAt!;
  t.ok(late >= 0 && late < 1000, `closed at its expiry (${late} ms after)`);
  const deadline = Date.now() + 2000;
  while (!statuses.some((s) => s.type === 'closed') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const err = errors.find((e) => e instanceof AuthError) as AuthError | undefined;
  t.equal(err?.code, 'TOKEN_EXPIRED');
  t.equal(err?.closeCode, 4005);
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(
    statuses.some((s) => s.type === 'reconnecting'),
    'no reconnect loop',
  );
  t.equal(th.hub.liveGrants.size, 0, 'nothing left tracking the closed sessions');
  await producer.close();
});

t.test('a closed session leaves no expiry timer behind', async (t) => {
  const { th } = await authHub(t);
  const clients: RawClient[] = [];
  for (let i = 0; i < 20; i++) {
    clients.push(
      await RawClient.open(th.wsUrl, await mintToken(SECRET, { role: 'producer', ttl: '1h' })),
    );
  }
  t.equal(th.hub.liveGrants.size, 20);
  for (const c of clients) c.close();
  for (const c of clients) await c.closed();
  const deadline = Date.now() + 2000;
  while (th.hub.liveGrants.size > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  t.equal(th.hub.liveGrants.size, 0);
});

t.test('an event stream ends when its token is revoked', async (t) => {
  const { th, admin, api } = await authHub(t);
  const minted = await issueToken(SECRET, { role: 'admin', subject: 'dash' });
  const res = await fetch(`${api}/events`, {
    headers: { authorization: `Bearer ${minted.token}` },
  });
  t.equal(res.status, 200);
  const reader = res.body!.getReader();
  await reader.read(); // the preamble
  const ended = (async () => {
    for (;;) {
      const { done } = await reader.read();
      if (done) return true;
    }
  })();
  await call(`${api}/tokens/revoke`, 'POST', admin, { id: minted.id });
  const result = await Promise.race([ended, new Promise((r) => setTimeout(() => r(false), 1500))]);
  t.equal(result, true, 'the stream ended');
  t.equal(th.hub.liveGrants.size, 0);
});

t.test('revocations are part of the core snapshot and survive a restore', async (t) => {
  const { Core } = await import('../../server/core/index.js');
  const { pack, unpack } = await import('msgpackr');
  const core = new Core();
  t.ok(core.apply({ type: 'token.revoke', now: 1000, tokenId: 'abc', reason: 'leaked' }).ok);
  t.ok(core.apply({ type: 'token.revoke', now: 2000, subject: 'ci', issuedBefore: 1500 }).ok);
  t.notOk(core.apply({ type: 'token.revoke', now: 3000 }).ok, 'neither id nor subject: refused');
  const restored = Core.restore(unpack(pack(core.snapshot())));
  const id = (tokenId?: string, subject?: string, issuedAt?: number) => ({
    tokenId,
    subject,
    issuedAt,
  });
  t.ok(restored.revocations.isRevoked(id('abc')));
  t.ok(restored.revocations.isRevoked(id('other', 'ci', 1500)), 'issued at the cut-off');
  t.notOk(restored.revocations.isRevoked(id('other', 'ci', 1501)), 'issued after it');
  t.ok(restored.revocations.isRevoked(id(undefined, 'ci', undefined)), 'no iat: revoked');
  t.notOk(restored.revocations.isRevoked(id('x', 'web', 1)));
  t.same(restored.snapshot().revocations, core.snapshot().revocations);
});
