import { createHash } from 'node:crypto';
import t from 'tap';
import { mintToken } from '../../server/auth/index.js';
import { federationSchema, type FederationConfig } from '../../server/config/federation-schema.js';
import { restCall } from '../helpers/rest-call.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';

/**
 * The agmem coordinator API on a real hub over loopback HTTP: the seed's own JSON examples
 * (memvcs/coordinator/README.md), the latest-summary-per-agent semantics, `?since=`, and every
 * refusal (bad summaries, body size, rate, clock skew, caps, credentials), each checked to
 * have stored nothing.
 */
const SECRET = 'federation-secret-federation-secret-1';

async function hub(
  t: Tap.Test,
  federation: Partial<FederationConfig> = {},
  auth = false,
): Promise<TestHub> {
  const th = await startTestHub({
    auth: auth ? { enabled: true, secret: SECRET } : { enabled: false },
    federation: federationSchema.parse(federation),
  });
  t.teardown(() => th.stop());
  return th;
}

// The seed's push example, byte for byte as its README shows it.
/** SHA-256 hex, as agmem sends its fact hashes (the route reads these from the bytes). */
const HEX_A = createHash('sha256').update('fact a').digest('hex');
const HEX_B = createHash('sha256').update('fact b').digest('hex');

const SEED_PUSH = {
  summary: {
    agent_id: 'agent-123',
    timestamp: '2026-02-01T12:00:00Z',
    topic_counts: { 'user-preferences': 5, 'project-context': 3 },
    fact_hashes: ['abc123...', 'def456...'],
    metadata: { version: '0.2.1' },
  },
};
// Its pull example: three agents, 15 and 8, three distinct hashes.
const SEED_PULL = {
  merged_topic_counts: { 'user-preferences': 15, 'project-context': 8 },
  unique_fact_hashes: ['abc123...', 'def456...', 'ghi789...'],
  contributing_agents: 3,
  last_updated: '2026-02-01T12:00:00Z',
  metadata: { total_facts: 3, total_topics: 2 },
};
const OTHERS = [
  {
    agent_id: 'agent-456',
    timestamp: '2026-02-01T11:00:00Z',
    topic_counts: { 'user-preferences': 6, 'project-context': 2 },
    fact_hashes: ['def456...', 'ghi789...'],
  },
  {
    agent_id: 'agent-789',
    timestamp: '2026-02-01T11:30:00Z',
    topic_counts: { 'user-preferences': 4, 'project-context': 3 },
    fact_hashes: ['abc123...', 'ghi789...'],
  },
];

function isoNear(t: Tap.Test, value: unknown, what: string): void {
  t.type(value, 'string', `${what} is a string`);
  const ms = Date.parse(value as string);
  t.ok(Math.abs(ms - Date.now()) < 60_000, `${what} is the hub's time (${String(value)})`);
}

t.test("the seed's examples: push, pull, health", async (t) => {
  const th = await hub(t);
  const base = `${th.httpUrl}/federation`;
  const pushed = await restCall(`${base}/push`, 'POST', { body: SEED_PUSH });
  t.equal(pushed.status, 200);
  t.same(Object.keys(pushed.json), ['status', 'agent_id', 'timestamp', 'message']);
  t.equal(pushed.json.status, 'accepted');
  t.equal(pushed.json.agent_id, 'agent-123');
  t.equal(pushed.json.message, 'Summary from agent-123 stored successfully');
  isoNear(t, pushed.json.timestamp, 'push timestamp');

  for (const summary of OTHERS)
    t.equal((await restCall(`${base}/push`, 'POST', { body: { summary } })).status, 200);
  const pulled = await restCall(`${base}/pull`);
  t.equal(pulled.status, 200);
  t.strictSame(pulled.json, SEED_PULL, "exactly the seed's pull example");
  t.same(Object.keys(pulled.json), Object.keys(SEED_PULL), 'its fields in its order');

  const health = await restCall(`${base}/health`);
  t.equal(health.status, 200);
  t.same(Object.keys(health.json), ['status', 'timestamp']);
  t.equal(health.json.status, 'healthy');
  isoNear(t, health.json.timestamp, 'health timestamp');
});

t.test(
  'a re-push replaces: the merge is what agents know now (the reference doubles)',
  async (t) => {
    const th = await hub(t);
    const base = `${th.httpUrl}/federation`;
    await restCall(`${base}/push`, 'POST', { body: SEED_PUSH });
    await restCall(`${base}/push`, 'POST', { body: SEED_PUSH });
    let pulled = (await restCall(`${base}/pull`)).json;
    t.same(pulled.merged_topic_counts, { 'user-preferences': 5, 'project-context': 3 });
    t.equal(pulled.contributing_agents, 1);
    const later = {
      summary: {
        ...SEED_PUSH.summary,
        timestamp: '2026-02-01T13:00:00Z',
        topic_counts: { 'user-preferences': 1 },
        fact_hashes: ['xyz'],
      },
    };
    await restCall(`${base}/push`, 'POST', { body: later });
    pulled = (await restCall(`${base}/pull`)).json;
    t.strictSame(pulled, {
      merged_topic_counts: { 'user-preferences': 1 },
      unique_fact_hashes: ['xyz'],
      contributing_agents: 1,
      last_updated: '2026-02-01T13:00:00Z',
      metadata: { total_facts: 1, total_topics: 1 },
    });
  },
);

t.test('an empty federation pulls as empty, last_updated the hub time', async (t) => {
  const th = await hub(t);
  const pulled = await restCall(`${th.httpUrl}/federation/pull`);
  t.equal(pulled.status, 200);
  t.same(pulled.json.merged_topic_counts, {});
  t.same(pulled.json.unique_fact_hashes, []);
  t.equal(pulled.json.contributing_agents, 0);
  t.same(pulled.json.metadata, { total_facts: 0, total_topics: 0 });
  isoNear(t, pulled.json.last_updated, 'last_updated');
});

t.test('?since= pulls the merge of what changed after a time', async (t) => {
  const th = await hub(t);
  const base = `${th.httpUrl}/federation`;
  await restCall(`${base}/push`, 'POST', { body: SEED_PUSH });
  for (const summary of OTHERS) await restCall(`${base}/push`, 'POST', { body: { summary } });
  const since = await restCall(`${base}/pull?since=2026-02-01T11:15:00Z`);
  t.equal(since.status, 200);
  t.strictSame(since.json, {
    merged_topic_counts: { 'project-context': 6, 'user-preferences': 9 },
    unique_fact_hashes: ['abc123...', 'def456...', 'ghi789...'],
    contributing_agents: 2,
    last_updated: '2026-02-01T12:00:00Z',
    metadata: { total_facts: 3, total_topics: 2 },
  });
  // An offset names the same instant: 13:00+01:00 is 12:00Z, and only what is after counts.
  const none = await restCall(
    `${base}/pull?since=${encodeURIComponent('2026-02-01T13:00:00+01:00')}`,
  );
  t.equal(none.json.contributing_agents, 0);
  const bad = await restCall(`${base}/pull?since=yesterday`);
  t.equal(bad.status, 400);
  t.equal(bad.json.error.details.issues[0].path, 'since');
  const unknown = await restCall(`${base}/pull?from=2026-02-01`);
  t.equal(unknown.status, 400, 'an unknown query parameter is named, not ignored');
});

t.test('timestamps as agmem and Python write them', async (t) => {
  const th = await hub(t);
  const base = `${th.httpUrl}/federation`;
  const ok = [
    '2026-02-01T12:00:00.123456+00:00', // datetime.now(timezone.utc).isoformat()
    '2026-02-01T12:00:00',
    '2026-02-01 12:00:00',
    '2026-02-01T12:00Z',
    '2026-02-01',
    '2026-02-01T14:00:00+0200',
  ];
  for (const [i, timestamp] of ok.entries()) {
    const r = await restCall(`${base}/push`, 'POST', {
      body: { summary: { agent_id: `a${i}`, timestamp } },
    });
    t.equal(r.status, 200, timestamp);
  }
  t.equal((await restCall(`${base}/pull`)).json.contributing_agents, ok.length);
});

t.test('a malformed summary is 400 naming the field, and stores nothing', async (t) => {
  const th = await hub(t);
  const base = `${th.httpUrl}/federation`;
  await restCall(`${base}/push`, 'POST', { body: SEED_PUSH });
  const before = (await restCall(`${base}/pull`)).json;
  const summary = SEED_PUSH.summary;
  const cases: [string, unknown, string][] = [
    [
      'bad timestamp',
      { summary: { ...summary, timestamp: '2026-02-30T12:00:00Z' } },
      'summary.timestamp',
    ],
    ['not a timestamp', { summary: { ...summary, timestamp: 'noon' } }, 'summary.timestamp'],
    ['missing timestamp', { summary: { agent_id: 'x' } }, 'summary.timestamp'],
    [
      'negative count',
      { summary: { ...summary, topic_counts: { a: -1 } } },
      'summary.topic_counts.a',
    ],
    [
      'fractional count',
      { summary: { ...summary, topic_counts: { a: 1.5 } } },
      'summary.topic_counts.a',
    ],
    [
      'count as a string',
      { summary: { ...summary, topic_counts: { a: '5' } } },
      'summary.topic_counts.a',
    ],
    [
      'hash not a string',
      { summary: { ...summary, fact_hashes: ['ok', 7] } },
      'summary.fact_hashes.1',
    ],
    ['hashes not a list', { summary: { ...summary, fact_hashes: 'abc' } }, 'summary.fact_hashes'],
    ['agent_id a number', { summary: { ...summary, agent_id: 12 } }, 'summary.agent_id'],
    [
      'agent_id too long',
      { summary: { ...summary, agent_id: 'a'.repeat(129) } },
      'summary.agent_id',
    ],
    [
      'a control character',
      { summary: { ...summary, fact_hashes: ['a\nb'] } },
      'summary.fact_hashes.0',
    ],
    [
      '__proto__ as a topic',
      { summary: { ...summary, topic_counts: JSON.parse('{"__proto__": 1}') } },
      'summary.topic_counts.__proto__',
    ],
    [
      'too many hashes',
      { summary: { ...summary, fact_hashes: Array.from({ length: 10_001 }, (_, i) => `h${i}`) } },
      'summary.fact_hashes',
    ],
    ['no summary', { agent_id: 'x' }, 'summary'],
    // With SHA-256 hex hashes, which the route reads from the bytes: the refusal is the same.
    [
      'bad timestamp, hex hashes',
      { summary: { ...summary, timestamp: 'noon', fact_hashes: [HEX_A, HEX_B] } },
      'summary.timestamp',
    ],
    [
      'a number after hex hashes',
      { summary: { ...summary, fact_hashes: [HEX_A, HEX_B, 7] } },
      'summary.fact_hashes.2',
    ],
    [
      'a control character after hex hashes',
      { summary: { ...summary, fact_hashes: [HEX_A, 'a\u0007b'] } },
      'summary.fact_hashes.1',
    ],
    [
      'too many hex hashes',
      { summary: { ...summary, fact_hashes: Array.from({ length: 10_001 }, () => HEX_A) } },
      'summary.fact_hashes',
    ],
  ];
  for (const [what, body, path] of cases) {
    const r = await restCall(`${base}/push`, 'POST', { body });
    t.equal(r.status, 400, what);
    t.equal(r.json.error.code, 'INVALID_FRAME', what);
    t.ok(
      r.json.error.details.issues.some((i: { path: string }) => i.path === path),
      `${what}: names ${path} (${JSON.stringify(r.json.error.details.issues.map((i: { path: string }) => i.path))})`,
    );
    t.match(r.json.error.message, path, `${what}: the message names it too`);
  }
  const notJson = await restCall(`${base}/push`, 'POST', { body: '{"summary": ' });
  t.equal(notJson.status, 400);
  t.equal(notJson.json.error.code, 'INVALID_JSON');
  t.strictSame((await restCall(`${base}/pull`)).json, before, 'nothing stored by any of them');
});

t.test('hex hashes and other strings come back exactly as pushed, each once', async (t) => {
  const th = await hub(t);
  const base = `${th.httpUrl}/federation`;
  const upper = HEX_A.toUpperCase();
  // Python's json.dumps spacing, a hash listed twice, upper-case hex (a string of its own).
  const body = `{"summary": {"agent_id": "py", "timestamp": "2026-02-01T12:00:00Z", "fact_hashes": ["${HEX_A}", "${upper}", "${HEX_B}", "${HEX_A}", "abc123..."], "topic_counts": {"semantic": 5}}}`;
  t.equal((await restCall(`${base}/push`, 'POST', { body })).status, 200);
  t.equal(
    (
      await restCall(`${base}/push`, 'POST', {
        body: {
          summary: { agent_id: 'js', timestamp: '2026-02-01T12:00:01Z', fact_hashes: [HEX_B] },
        },
      })
    ).status,
    200,
  );
  const pulled = (await restCall(`${base}/pull`)).json;
  t.strictSame(pulled.unique_fact_hashes, [HEX_A, upper, HEX_B, 'abc123...'].sort());
  t.equal(pulled.metadata.total_facts, 4);
  t.equal(pulled.contributing_agents, 2);
});

t.test(
  'a body over federation.maxBodyBytes is 413; under it passes the side-port limit',
  async (t) => {
    const th = await hub(t, { maxBodyBytes: 4096 });
    const base = `${th.httpUrl}/federation`;
    const big = {
      summary: {
        ...SEED_PUSH.summary,
        fact_hashes: Array.from({ length: 200 }, (_, i) => `h-${i}`.padEnd(40, 'x')),
      },
    };
    const r = await restCall(`${base}/push`, 'POST', { body: big });
    t.equal(r.status, 413);
    t.equal(r.json.error.code, 'BODY_TOO_LARGE');
    t.equal((await restCall(`${base}/pull`)).json.contributing_agents, 0, 'nothing stored');

    // A summary at every protocol bound (~1.4 MB) is over the side port's own 1 MiB but within
    // the federation's default limit.
    const th2 = await hub(t);
    const full = {
      summary: {
        agent_id: 'a'.repeat(128),
        timestamp: '2026-02-01T12:00:00Z',
        topic_counts: Object.fromEntries(
          Array.from({ length: 1000 }, (_, i) => [`t${i}`.padEnd(128, 't'), 1]),
        ),
        fact_hashes: Array.from({ length: 10_000 }, (_, i) => `${i}`.padStart(128, '0')),
      },
    };
    t.ok(JSON.stringify(full).length > 1 << 20, 'over 1 MiB');
    const ok = await restCall(`${th2.httpUrl}/federation/push`, 'POST', { body: full });
    t.equal(ok.status, 200);
    const pulled = (await restCall(`${th2.httpUrl}/federation/pull`)).json;
    t.equal(pulled.metadata.total_facts, 10_000);
    t.equal(pulled.metadata.total_topics, 1000);
  },
);

t.test(
  'per-agent push rate: 429 with Retry-After, nothing stored; other agents unaffected',
  async (t) => {
    const th = await hub(t, { pushRate: { perMinute: 6, burst: 2 } });
    const base = `${th.httpUrl}/federation`;
    const push = (agent: string, n: number) =>
      fetch(`${base}/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          summary: { agent_id: agent, timestamp: '2026-02-01T12:00:00Z', topic_counts: { n } },
        }),
      });
    t.equal((await push('a', 1)).status, 200);
    t.equal((await push('a', 2)).status, 200);
    const refused = await push('a', 3);
    t.equal(refused.status, 429);
    const retry = Number(refused.headers.get('retry-after'));
    t.ok(retry >= 1 && retry <= 10, `Retry-After ${retry} s (one push per 10 s)`);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    t.equal(body.error.code, 'RATE_LIMITED');
    t.equal((await push('b', 1)).status, 200, 'another agent has its own bucket');
    const pulled = (await restCall(`${base}/pull`)).json;
    t.same(
      pulled.merged_topic_counts,
      { n: 3 },
      "a's second push (2) and b's (1): the refused 3 is not there",
    );
  },
);

t.test('per-credential pull rate', async (t) => {
  const th = await hub(t, { pullRate: { perMinute: 1, burst: 1 } });
  t.equal((await fetch(`${th.httpUrl}/federation/pull`)).status, 200);
  const r = await fetch(`${th.httpUrl}/federation/pull`);
  t.equal(r.status, 429);
  t.ok(Number(r.headers.get('retry-after')) > 50, 'about a minute');
});

t.test('a timestamp too far ahead of the hub clock is 400', async (t) => {
  const th = await hub(t, { maxClockSkewMs: 60_000 });
  const base = `${th.httpUrl}/federation`;
  const ahead = new Date(Date.now() + 3_600_000).toISOString();
  const r = await restCall(`${base}/push`, 'POST', {
    body: { summary: { agent_id: 'a', timestamp: ahead } },
  });
  t.equal(r.status, 400);
  t.match(r.json.error.message, /summary\.timestamp is 36\d\d s ahead/);
  t.equal((await restCall(`${base}/pull`)).json.contributing_agents, 0);
});

t.test('caps: agents per federation and stored items give 507, nothing stored', async (t) => {
  const th = await hub(t, { maxAgentsPerFederation: 2, maxStoredItems: 10 });
  const base = `${th.httpUrl}/federation`;
  const push = (agent: string, hashes: string[]) =>
    restCall(`${base}/push`, 'POST', {
      body: {
        summary: { agent_id: agent, timestamp: '2026-02-01T12:00:00Z', fact_hashes: hashes },
      },
    });
  t.equal((await push('a', ['1', '2', '3'])).status, 200);
  t.equal((await push('b', ['1', '2', '3'])).status, 200);
  const third = await push('c', ['9']);
  t.equal(third.status, 507);
  t.equal(third.json.error.code, 'FEDERATION_FULL');
  t.match(third.json.error.message, /maxAgentsPerFederation/);
  t.equal((await push('a', ['1', '2', '3', '4'])).status, 200, 'a known agent may re-push');
  const over = await push(
    'b',
    Array.from({ length: 8 }, (_, i) => `x${i}`),
  );
  t.equal(over.status, 507);
  t.match(over.json.error.message, /maxStoredItems/);
  const pulled = (await restCall(`${base}/pull`)).json;
  t.same(pulled.unique_fact_hashes, ['1', '2', '3', '4'], "b's refused summary is not there");
  t.equal(pulled.contributing_agents, 2);
});

t.test('CORS: allowed origins get the headers, on refusals and preflights too', async (t) => {
  const th = await hub(t, { cors: { origins: ['https://dash.example.com'], maxAgeSeconds: 60 } });
  const base = `${th.httpUrl}/federation`;
  const pre = await fetch(`${base}/push`, {
    method: 'OPTIONS',
    headers: {
      origin: 'https://dash.example.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  });
  t.equal(pre.status, 204);
  t.equal(pre.headers.get('access-control-allow-origin'), 'https://dash.example.com');
  t.match(pre.headers.get('access-control-allow-methods'), /POST/);
  t.match(pre.headers.get('access-control-allow-headers'), /content-type/);
  t.equal(pre.headers.get('access-control-max-age'), '60');
  const bad = await fetch(`${base}/push`, {
    method: 'POST',
    headers: { origin: 'https://dash.example.com', 'content-type': 'application/json' },
    body: '{}',
  });
  t.equal(bad.status, 400);
  t.equal(
    bad.headers.get('access-control-allow-origin'),
    'https://dash.example.com',
    'a refusal a page can read',
  );
  const other = await fetch(`${base}/pull`, { headers: { origin: 'https://evil.example.com' } });
  t.equal(other.status, 200);
  t.equal(other.headers.get('access-control-allow-origin'), null, 'another origin gets none');
  t.equal(other.headers.get('vary'), 'Origin');

  const none = await hub(t);
  const plain = await fetch(`${none.httpUrl}/federation/pull`, {
    headers: { origin: 'https://dash.example.com' },
  });
  t.equal(plain.headers.get('access-control-allow-origin'), null, 'off by default');
});

t.test(
  'credentials: no token, wrong role, scoped token, bad and revoked keys change nothing',
  async (t) => {
    const th = await hub(t, {}, true);
    const base = `${th.httpUrl}/federation`;
    const admin = await mintToken(SECRET, { role: 'admin', subject: 'ops' });
    const producer = await mintToken(SECRET, { role: 'producer', subject: 'dash' });
    const worker = await mintToken(SECRET, { role: 'worker', subject: 'w' });
    const scoped = await mintToken(SECRET, { role: 'producer', queues: ['emails'] });

    const INTRUDER = {
      summary: { ...SEED_PUSH.summary, agent_id: 'intruder', fact_hashes: ['evil'] },
    };
    t.equal((await restCall(`${base}/push`, 'POST', { body: INTRUDER })).status, 401, 'no token');
    t.equal((await restCall(`${base}/pull`)).status, 401, 'no token, pull');
    const byWorker = await restCall(`${base}/push`, 'POST', { body: INTRUDER, token: worker });
    t.equal(byWorker.status, 403, 'a worker token');
    t.equal(byWorker.json.error.code, 'FORBIDDEN');
    t.equal((await restCall(`${base}/pull`, 'GET', { token: worker })).status, 403, 'nor pull');
    t.equal(
      (await restCall(`${base}/push`, 'POST', { body: INTRUDER, token: scoped })).status,
      403,
      'a token confined to queues',
    );
    t.equal((await restCall(`${base}/health`)).status, 200, 'health needs nothing');
    t.equal(
      (await restCall(`${base}/push`, 'POST', { body: SEED_PUSH, token: producer })).status,
      200,
      'a producer token reaches the default federation',
    );
    const defaults = (await restCall(`${base}/pull`, 'GET', { token: producer })).json;
    t.equal(defaults.contributing_agents, 1, 'none of the refused pushes was stored');
    t.notOk(defaults.unique_fact_hashes.includes('evil'));

    const minted = await restCall(`${th.httpUrl}/api/v1/federation-keys`, 'POST', {
      body: { federation: 'team-a', label: 'laptops' },
      token: admin,
    });
    t.equal(minted.status, 201);
    t.match(minted.json.key, /^sbfk_[A-Za-z0-9_-]{43}$/);
    t.equal(
      (
        await restCall(`${th.httpUrl}/api/v1/federation-keys`, 'POST', {
          body: { federation: 'team-a' },
          token: producer,
        })
      ).status,
      403,
      'only an admin mints keys',
    );
    const keyBase = `${base}/${minted.json.key}`;
    t.equal(
      (await restCall(`${keyBase}/push`, 'POST', { body: SEED_PUSH })).status,
      200,
      'the key, no header',
    );
    t.equal((await restCall(`${keyBase}/health`)).status, 200);
    const forged = `${base}/${minted.json.key.slice(0, -1)}${minted.json.key.endsWith('A') ? 'B' : 'A'}`;
    t.equal(
      (await restCall(`${forged}/push`, 'POST', { body: SEED_PUSH })).status,
      401,
      'a wrong key',
    );
    t.equal((await restCall(`${forged}/health`)).status, 401, 'health with a wrong key says so');
    t.equal((await restCall(`${base}/nonsense/pull`)).status, 401, 'not a key at all');

    const keys = await restCall(`${th.httpUrl}/api/v1/federation-keys`, 'GET', { token: admin });
    t.equal(keys.json.keys.length, 1);
    t.notMatch(JSON.stringify(keys.json), minted.json.key, 'the listing never shows a key');
    t.notOk('digest' in keys.json.keys[0], 'nor its digest');

    const before = (await restCall(`${keyBase}/pull`)).json;
    const revoked = await restCall(
      `${th.httpUrl}/api/v1/federation-keys/${minted.json.id}/revoke`,
      'POST',
      {
        token: admin,
      },
    );
    t.equal(revoked.status, 200);
    const again = await restCall(`${keyBase}/push`, 'POST', {
      body: { summary: { ...SEED_PUSH.summary, agent_id: 'intruder' } },
    });
    t.equal(again.status, 401, 'a revoked key');
    t.equal((await restCall(`${keyBase}/pull`)).status, 401);
    const fresh = await restCall(`${th.httpUrl}/api/v1/federation-keys`, 'POST', {
      body: { federation: 'team-a' },
      token: admin,
    });
    t.strictSame(
      (await restCall(`${base}/${fresh.json.key}/pull`)).json,
      before,
      'the revoked key stored nothing',
    );
  },
);

t.test('a key minted for one agent pushes that agent only', async (t) => {
  const th = await hub(t);
  const minted = await restCall(`${th.httpUrl}/api/v1/federation-keys`, 'POST', {
    body: { federation: 'solo', agentId: 'agent-123' },
  });
  const base = `${th.httpUrl}/federation/${minted.json.key}`;
  t.equal((await restCall(`${base}/push`, 'POST', { body: SEED_PUSH })).status, 200);
  const other = await restCall(`${base}/push`, 'POST', {
    body: { summary: { ...SEED_PUSH.summary, agent_id: 'agent-999' } },
  });
  t.equal(other.status, 403);
  t.equal((await restCall(`${base}/pull`)).json.contributing_agents, 1);
});

t.test('two federations on one hub never see each other', async (t) => {
  const th = await hub(t);
  const mint = async (federation: string) =>
    (await restCall(`${th.httpUrl}/api/v1/federation-keys`, 'POST', { body: { federation } })).json
      .key as string;
  const a = `${th.httpUrl}/federation/${await mint('team-a')}`;
  const b = `${th.httpUrl}/federation/${await mint('team-b')}`;
  const a2 = `${th.httpUrl}/federation/${await mint('team-a')}`;
  await restCall(`${a}/push`, 'POST', { body: SEED_PUSH });
  await restCall(`${b}/push`, 'POST', { body: { summary: OTHERS[0] } });
  const pa = (await restCall(`${a2}/pull`)).json;
  const pb = (await restCall(`${b}/pull`)).json;
  t.same(
    pa.unique_fact_hashes,
    ['abc123...', 'def456...'],
    'team-a: its own, through its other key',
  );
  t.same(pb.unique_fact_hashes, ['def456...', 'ghi789...'], 'team-b: its own');
  t.equal(
    (await restCall(`${th.httpUrl}/federation/pull`)).json.contributing_agents,
    0,
    'default: none',
  );
  // The same agent id in two federations is two agents.
  await restCall(`${b}/push`, 'POST', { body: SEED_PUSH });
  t.same((await restCall(`${a}/pull`)).json.merged_topic_counts, SEED_PUSH.summary.topic_counts);
  const list = (await restCall(`${th.httpUrl}/api/v1/federations`)).json.federations;
  t.same(
    list.map((f: { name: string; agents: number; keys: number }) => [f.name, f.agents, f.keys]),
    [
      ['team-a', 1, 2],
      ['team-b', 2, 1],
    ],
    'the default federation holds nothing and is not listed',
  );
});

t.test('operators forget an agent, or a whole federation', async (t) => {
  const th = await hub(t);
  const base = `${th.httpUrl}/federation`;
  await restCall(`${base}/push`, 'POST', { body: SEED_PUSH });
  for (const summary of OTHERS) await restCall(`${base}/push`, 'POST', { body: { summary } });
  const one = await restCall(`${th.httpUrl}/api/v1/federations/default/agents/agent-456`, 'DELETE');
  t.same(one.json, { federation: 'default', agentId: 'agent-456', forgotten: 1 });
  t.equal(
    (await restCall(`${th.httpUrl}/api/v1/federations/default/agents/agent-456`, 'DELETE')).status,
    404,
  );
  t.equal((await restCall(`${base}/pull`)).json.contributing_agents, 2);
  const all = await restCall(`${th.httpUrl}/api/v1/federations/default`, 'DELETE');
  t.same(all.json, { federation: 'default', forgotten: 2 });
  t.equal((await restCall(`${base}/pull`)).json.contributing_agents, 0);
});
