/**
 * Tokens as a holder meets them: what a minted token grants, every way a token is refused
 * (and the reason a client is told), the ttl forms the CLI accepts, and the queue and role
 * rules. Real HS256 tokens from jose throughout; the forged ones are built byte by byte.
 */
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import t from 'tap';
import {
  hasRole,
  issueToken,
  mayUseQueue,
  mintToken,
  OPEN_GRANT,
  TokenError,
  ttlSeconds,
  verifyToken,
  type Grant,
} from '../../server/auth/index.js';

const SECRET = 'a-test-secret-of-reasonable-length';
const key = new TextEncoder().encode(SECRET);

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A compact JWS signed with HMAC `alg` by hand, so the header can say anything. */
function handSigned(header: object, claims: object, hmac = 'sha256'): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac(hmac, SECRET).update(input).digest('base64url')}`;
}

async function refusal(token: string | undefined, secret = SECRET): Promise<TokenError> {
  try {
    await verifyToken(secret, token);
  } catch (err) {
    if (err instanceof TokenError) return err;
    throw err;
  }
  throw new Error('token was accepted');
}

t.test('a minted token grants what it was minted with', async (t) => {
  const now = Date.now();
  const m = await issueToken(
    SECRET,
    { role: 'producer', queues: ['emails', 'reports.*'], subject: 'billing', ttl: '2h' },
    now,
  );
  t.match(m.id, /^[A-Za-z0-9_-]{22}$/, 'a 128-bit id');
  t.equal(m.issuedAt, now);
  t.equal(m.expiresAt, (Math.floor(now / 1000) + 7200) * 1000, 'expiry from the ttl');
  const g = await verifyToken(SECRET, m.token);
  t.same(g, {
    role: 'producer',
    queues: ['emails', 'reports.*'],
    subject: 'billing',
    tokenId: m.id,
    issuedAt: now,
    expiresAt: m.expiresAt,
    identity: 'sub:billing',
  });
  t.notOk(m.token.includes(SECRET), 'the secret is not in the token');

  const plain = await issueToken(SECRET, { role: 'worker', queues: [] });
  t.equal(plain.queues, undefined, 'an empty queue list means every queue');
  t.equal(plain.expiresAt, undefined, 'no ttl: never expires');
  const pg = await verifyToken(SECRET, plain.token);
  t.equal(pg.identity, `jti:${plain.id}`, 'no subject: the identity is the token id');
  t.equal(pg.expiresAt, undefined);
  t.equal(pg.queues, undefined);

  const second = await issueToken(SECRET, { role: 'worker' });
  t.not(second.id, plain.id, 'every token has its own id');
  t.type(await mintToken(SECRET, { role: 'admin' }), 'string');
});

t.test('a token without subject or id is known by a digest of itself', async (t) => {
  const token = await new SignJWT({ role: 'worker' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('switchboard')
    .sign(key);
  const g = await verifyToken(SECRET, token);
  t.match(g.identity, /^token:[0-9a-f]{24}$/);
  t.equal((await verifyToken(SECRET, token)).identity, g.identity, 'the same each time');
  t.equal(g.tokenId, undefined);
  t.equal(g.issuedAt, undefined);
  const other = await new SignJWT({ role: 'worker', x: 1 })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('switchboard')
    .sign(key);
  t.not((await verifyToken(SECRET, other)).identity, g.identity, 'another token, another one');
});

t.test('refusals, each with the reason the client is told', async (t) => {
  t.equal((await refusal(undefined)).reason, 'missing');
  t.equal((await refusal('')).reason, 'missing');
  t.equal((await refusal('not-a-jwt')).reason, 'malformed');
  t.equal((await refusal('a.b.c')).reason, 'malformed');

  const good = await mintToken(SECRET, { role: 'worker' });
  const wrongKey = await refusal(good, 'another-secret-entirely');
  t.equal(wrongKey.reason, 'invalid', 'signed with another secret');
  t.equal(wrongKey.message, 'token signature or claims invalid');

  const [h, p] = good.split('.');
  t.equal((await refusal(`${h}.${p}.`)).reason, 'invalid', 'signature stripped');
  const elevated = b64({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), role: 'admin' });
  t.equal(
    (await refusal(`${h}.${elevated}.${good.split('.')[2]}`)).reason,
    'invalid',
    'claims changed after signing',
  );

  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ role: 'admin', iss: 'switchboard' })}.`;
  t.ok(['invalid', 'malformed'].includes((await refusal(none)).reason), 'alg none is refused');
  const hs512 = handSigned({ alg: 'HS512' }, { role: 'admin', iss: 'switchboard' }, 'sha512');
  t.equal((await refusal(hs512)).reason, 'invalid', 'another algorithm, same secret: refused');

  const noIssuer = handSigned({ alg: 'HS256' }, { role: 'admin' });
  t.equal((await refusal(noIssuer)).reason, 'invalid', 'no issuer');
  const otherIssuer = handSigned({ alg: 'HS256' }, { role: 'admin', iss: 'someone-else' });
  t.equal((await refusal(otherIssuer)).reason, 'invalid', 'another issuer');

  const noRole = handSigned({ alg: 'HS256' }, { iss: 'switchboard', sub: 'x' });
  const nr = await refusal(noRole);
  t.equal(nr.reason, 'invalid');
  t.equal(nr.message, 'token claims lack a valid role');
  const badRole = handSigned({ alg: 'HS256' }, { iss: 'switchboard', role: 'root' });
  t.equal((await refusal(badRole)).message, 'token claims lack a valid role');
  const badQueues = handSigned(
    { alg: 'HS256' },
    { iss: 'switchboard', role: 'worker', queues: [''] },
  );
  t.equal((await refusal(badQueues)).reason, 'invalid', 'an empty queue name in the claims');

  const old = await issueToken(SECRET, { role: 'worker', ttl: 60 }, Date.now() - 3_600_000);
  const expired = await refusal(old.token);
  t.equal(expired.reason, 'expired');
  t.equal(expired.message, 'token expired');
  t.equal(expired.name, 'TokenError');
});

t.test('ttl: the forms the CLI accepts, and clear refusals', async (t) => {
  t.equal(ttlSeconds('45s'), 45);
  t.equal(ttlSeconds('90m'), 5400);
  t.equal(ttlSeconds('12h'), 43_200);
  t.equal(ttlSeconds('30d'), 2_592_000);
  t.equal(ttlSeconds('2w'), 1_209_600);
  t.equal(ttlSeconds('1y'), 31_557_600);
  t.equal(ttlSeconds('3600'), 3600, 'a bare number is seconds');
  t.equal(ttlSeconds(' 5 m '), 300, 'spaces are forgiven');
  t.equal(ttlSeconds(120), 120);
  t.equal(ttlSeconds('100y'), 100 * 31_557_600, 'a hundred years is the most');

  for (const bad of ['', '0', '0d', '-1h', '1.5h', '10x', 'forever', 'd']) {
    t.throws(() => ttlSeconds(bad), { name: 'TokenError', message: /ttl must look like/ }, bad);
  }
  t.throws(() => ttlSeconds('101y'), { message: /over 100 years; omit --ttl/ });
  t.throws(() => ttlSeconds('99999999999d'), { message: /over 100 years/ });
  for (const bad of [0, -5, 1.5, Number.NaN, Infinity, 101 * 31_557_600]) {
    t.throws(() => ttlSeconds(bad), { message: /positive number of seconds/ }, String(bad));
  }
  await t.rejects(issueToken(SECRET, { role: 'worker', ttl: 'soon' }), /ttl must look like/);
});

t.test('queue scopes: exact names and prefixes ending in *', async (t) => {
  const g = (queues: string[] | undefined): Grant => ({ ...OPEN_GRANT, role: 'worker', queues });
  t.ok(mayUseQueue(g(undefined), 'anything'), 'no list: every queue');
  t.ok(mayUseQueue(g(['emails']), 'emails'));
  t.notOk(mayUseQueue(g(['emails']), 'emails2'), 'a name is not a prefix');
  t.notOk(mayUseQueue(g(['emails']), 'email'));
  t.ok(mayUseQueue(g(['reports.*']), 'reports.daily'));
  t.ok(mayUseQueue(g(['reports.*']), 'reports.'), 'the prefix itself');
  t.notOk(mayUseQueue(g(['reports.*']), 'reports'), 'the prefix without its dot is another queue');
  t.ok(mayUseQueue(g(['*']), 'x'), 'a lone * is every queue');
  t.notOk(mayUseQueue(g([]), 'x'), 'an empty list allows nothing');
  t.ok(mayUseQueue(g(['a', 'b.*']), 'b.1'), 'any entry may match');
});

t.test('roles: admin may do anything, the others what they are', async (t) => {
  const as = (role: Grant['role']): Grant => ({ ...OPEN_GRANT, role });
  t.ok(hasRole(as('admin'), 'producer'));
  t.ok(hasRole(as('admin'), 'worker'));
  t.ok(hasRole(as('producer'), 'producer'));
  t.notOk(hasRole(as('producer'), 'worker'));
  t.notOk(hasRole(as('worker'), 'producer'));
  t.notOk(hasRole(as('worker'), 'admin'));
  t.ok(hasRole(as('worker'), 'producer', 'worker'), 'one of several');
  t.equal(OPEN_GRANT.role, 'admin', 'auth off: the open grant is an admin');
});
