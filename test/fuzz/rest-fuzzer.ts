/**
 * The REST fuzzer: random methods, paths (every route of server/http/routes/*.ts with
 * random, known and malformed params, and paths no route has), random query strings,
 * bodies (valid ones with mutated fields, random JSON, non-JSON, deep nesting, past the size
 * limit), content types and tokens of every role. Every reply must be a well-formed HTTP
 * response, never a 5xx, and every 4xx carries `{error:{code,message}}` with a registry code.
 */
import http from 'node:http';
import fc from 'fast-check';
import { ErrorCode } from '../../protocol/index.js';
import { Hub } from '../../server/hub/hub.js';
import { allRoutes } from '../../server/http/routes/index.js';
import { testHubOptions } from '../helpers/hub.js';
import { hostileValue, mutate, mutation, smallValue, taskSpec } from './frame-arbitraries.js';
import {
  FUZZ_MAX_FRAME_BYTES,
  FUZZ_QUEUES,
  ROLE_NAMES,
  type RoleName,
  type Tokens,
} from './fuzz-hub.js';

/** The live route table, read from the same code the hub serves, so new routes are fuzzed too. */
export function routeTable(): { method: string; path: string }[] {
  // Never started: only its routes are read.
  const hub = new Hub(testHubOptions());
  return allRoutes(hub).map((r) => ({
    method: r.method,
    path: r.path,
  }));
}

export interface RestRequest {
  method: string;
  /** Path template (`:x` filled when sent) or a literal path. */
  path: string;
  params: ParamValue[];
  query: [string, string][];
  role: RoleName;
  contentType: string | undefined;
  body: BodyValue;
  note: string;
}

/** A param: a known id (n-th learned, modulo) or a literal segment (already encoded). */
type ParamValue = { known: number } | { literal: string };
type BodyValue =
  { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string };

const PARAM_LITERALS = [
  'fz-a',
  'nope',
  '%',
  '%E0%A4%A',
  '%00',
  '..',
  '.',
  '%2F..%2F',
  'a'.repeat(5000),
  '__proto__',
  'constructor',
  '-1',
  'NaN',
  '%F0%9F%98%80',
  '%C0%AE',
];
const paramArb: fc.Arbitrary<ParamValue> = fc.oneof(
  { weight: 5, arbitrary: fc.nat().map((n) => ({ known: n })) },
  { weight: 2, arbitrary: fc.constantFrom(...PARAM_LITERALS).map((literal) => ({ literal })) },
  {
    weight: 2,
    arbitrary: fc.string({ maxLength: 20 }).map((s) => ({ literal: encodeURIComponent(s) })),
  },
);

const QUERY_KEYS = [
  'queue',
  'state',
  'limit',
  'cursor',
  'after',
  'lastEventId',
  'wait',
  'max',
  'force',
  'x',
];
const queryArb = fc.array(
  fc.tuple(
    fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })),
    fc.oneof(
      fc.constantFrom(
        '',
        'queued',
        'leased',
        'completed',
        'dead',
        '0',
        '-1',
        '1000',
        '1001',
        '1e3',
        'NaN',
        'true',
        'fz-a',
        '%zz',
      ),
      fc.string({ maxLength: 12 }),
      fc.integer().map(String),
      fc.constant('x'.repeat(600)),
      fc.string({ maxLength: 16 }).map((s) => Buffer.from(s).toString('base64url')),
    ),
  ),
  { maxLength: 4 },
);

/** Bodies that the routes accept, to be mutated. Node addresses stay on loopback. */
const validBody = fc.oneof(
  taskSpec,
  fc.record({ tasks: fc.array(taskSpec, { minLength: 1, maxLength: 3 }) }),
  fc.record({ reason: fc.string({ maxLength: 20 }) }),
  fc.record(
    {
      workerId: fc.constantFrom('fz-h1', 'fz-h2', 'fz-w1'),
      queues: fc.uniqueArray(fc.constantFrom(...FUZZ_QUEUES), { minLength: 1, maxLength: 2 }),
      concurrency: fc.integer({ min: 1, max: 4 }),
      max: fc.integer({ min: 1, max: 4 }),
    },
    { requiredKeys: ['workerId'] },
  ),
  fc.record({
    workerId: fc.constantFrom('fz-h1', 'fz-h2'),
    taskId: fc.nat().map((n) => `\u0000ref:${n}`),
    attempt: fc.integer({ min: 1, max: 3 }),
    result: smallValue,
  }),
  fc.record({
    workerId: fc.constantFrom('fz-h1', 'fz-h2'),
    taskId: fc.nat().map((n) => `\u0000ref:${n}`),
    attempt: fc.integer({ min: 1, max: 3 }),
    error: fc.record({ message: fc.string({ maxLength: 20 }), retryable: fc.boolean() }),
  }),
  fc.record(
    {
      name: fc.constantFrom('fz-node-1', 'fz-node-2'),
      address: fc.constant('127.0.0.1'),
      // Port 9 (discard): nothing listens on loopback here, so an SSH attempt is refused at once.
      sshPort: fc.constant(9),
      sshUser: fc.constant('root'),
      provider: fc.constantFrom('docker', 'systemd'),
      labels: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), {
        maxKeys: 2,
      }),
    },
    { requiredKeys: ['name'] },
  ),
  fc.record(
    {
      type: fc.constantFrom('exec', 'status', 'list-services', 'start'),
      action: fc.constantFrom('true', 'svc'),
      timeoutMs: fc.constantFrom(100, 1000),
    },
    { requiredKeys: ['type', 'action'] },
  ),
  fc.record({
    status: fc.constantFrom('succeeded', 'failed'),
    exitCode: fc.integer({ min: 0, max: 2 }),
    stdout: fc.string({ maxLength: 10 }),
  }),
  fc.record({ password: fc.constant('pw') }),
);

const deepJson = fc
  .tuple(fc.integer({ min: 30, max: 20_000 }), fc.boolean())
  .map(([n, asMap]) =>
    asMap ? '{"a":'.repeat(n) + '1' + '}'.repeat(n) : '['.repeat(n) + ']'.repeat(n),
  );

const bodyArb: fc.Arbitrary<BodyValue> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 5, arbitrary: validBody.map((value) => ({ kind: 'json' as const, value })) },
  {
    weight: 8,
    arbitrary: fc
      .tuple(validBody, fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([v, ms]) => ({
        kind: 'json' as const,
        value: mutate(v as Record<string, unknown>, ms).frame,
      })),
  },
  {
    weight: 2,
    arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'json' as const, value })),
  },
  { weight: 1, arbitrary: hostileValue.map((value) => ({ kind: 'json' as const, value })) },
  {
    weight: 2,
    arbitrary: fc.string({ maxLength: 60 }).map((text) => ({ kind: 'raw' as const, text })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '{',
        '{"queue":',
        'null',
        '"str"',
        '1e999',
        '-0',
        '\ufeff{"queue":"fz-a"}',
        '{"queue":"fz-a","queue":"fz-b"}',
        '{"__proto__":{"admin":true},"queue":"fz-a"}',
        'queue=fz-a&payload=1',
        '\u0000\u0001',
        '{"queue":"fz-a","payload":"\\ud800"}',
      )
      .map((text) => ({ kind: 'raw' as const, text })),
  },
  { weight: 1, arbitrary: deepJson.map((text) => ({ kind: 'raw' as const, text })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(FUZZ_MAX_FRAME_BYTES - 10, FUZZ_MAX_FRAME_BYTES + 1, FUZZ_MAX_FRAME_BYTES * 3)
      .map((n) => ({
        kind: 'raw' as const,
        text: `{"queue":"fz-a","payload":"${'x'.repeat(n)}"}`,
      })),
  },
);

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=zz',
  'application/msgpack',
  'application/json; charset=latin1',
  '',
];

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'FUZZ'];

export function requestArb(routes: { method: string; path: string }[]): fc.Arbitrary<RestRequest> {
  const pathArb = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...routes.map((r) => r.path)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '/',
        '/api',
        '/api/v1',
        '/api/v1/',
        '/api//v1/tasks',
        '/api/v1/tasks/',
        '/API/V1/TASKS',
        '/api/v1/tasks/:id/:id',
        '//',
        '/%',
        '/health?',
        '/api/v1/tasks/%2e%2e/%2e%2e',
        '*',
      ),
    },
    { weight: 1, arbitrary: fc.webPath() },
  );
  return fc
    .record({
      route: fc.nat(),
      useRouteMethod: fc.oneof(
        { weight: 4, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
      method: fc.constantFrom(...METHODS),
      path: pathArb,
      params: fc.array(paramArb, { minLength: 2, maxLength: 2 }),
      query: queryArb,
      role: fc.oneof(
        {
          weight: 4,
          arbitrary: fc.constantFrom<RoleName>(
            'admin',
            'producer',
            'producer-a',
            'worker',
            'worker-a',
            'worker-b',
          ),
        },
        { weight: 1, arbitrary: fc.constantFrom(...ROLE_NAMES) },
      ),
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constant('application/json') },
        { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      body: bodyArb,
    })
    .map((r) => {
      const own = routes.find((x) => x.path === r.path);
      const method = r.useRouteMethod && own ? own.method : r.method;
      return {
        method,
        path: r.path,
        params: r.params,
        query: r.query,
        role: r.role,
        contentType: r.contentType,
        body: r.body,
        note: `${method} ${r.path}`,
      };
    });
}

/** Ids learned from replies, per kind, for params. */
export class RestKnowledge {
  readonly ids: string[] = [];
  learn(body: unknown, depth = 0): void {
    if (depth > 3 || body === null || typeof body !== 'object') return;
    for (const [k, v] of Object.entries(body)) {
      if (
        (k === 'id' || k === 'taskId' || k === 'workerId' || k === 'nodeId') &&
        typeof v === 'string'
      ) {
        if (!this.ids.includes(v)) this.ids.push(v);
        if (this.ids.length > 500) this.ids.shift();
      } else if (k === 'taskIds' && Array.isArray(v)) {
        for (const id of v) if (typeof id === 'string') this.learn({ id }, depth + 1);
      } else if (typeof v === 'object') this.learn(v, depth + 1);
    }
  }
  pick(n: number): string {
    return this.ids.length ? this.ids[n % this.ids.length]! : `unknown-${n}`;
  }
}

function resolveRefs(value: unknown, k: RestKnowledge): unknown {
  if (typeof value === 'string' && value.startsWith('\u0000ref:'))
    return k.pick(Number(value.slice(5)));
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, k));
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, {
        value: resolveRefs((value as Record<string, unknown>)[key], k),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

export interface RestOutcome {
  status: number;
  /** Set when the reply breaks a rule: a 5xx, a malformed 4xx body, no response at all. */
  problem?: string;
}

export interface WireRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

/** The request as it goes on the wire (ids and tokens filled in). */
export function toWire(r: RestRequest, k: RestKnowledge, tokens: Tokens): WireRequest {
  let i = 0;
  const path = r.path.replace(/:[A-Za-z]+/g, () => {
    const p = r.params[i++ % r.params.length]!;
    return 'known' in p ? encodeURIComponent(k.pick(p.known)) : p.literal;
  });
  const qs = r.query.map(([a, b]) => `${encodeURIComponent(a)}=${encodeURIComponent(b)}`).join('&');
  const headers: Record<string, string> = {};
  const token = tokens[r.role];
  if (token) headers.authorization = `Bearer ${token}`;
  else if (r.role === 'garbage') headers.authorization = 'Bearer';
  if (r.contentType) headers['content-type'] = r.contentType;
  let body: Buffer | undefined;
  if (r.body.kind === 'json') {
    let text: string | undefined;
    try {
      text = JSON.stringify(resolveRefs(r.body.value, k));
    } catch {
      text = undefined;
    }
    body = Buffer.from(text ?? 'undefined');
  } else if (r.body.kind === 'raw') body = Buffer.from(r.body.text);
  return { method: r.method, path: qs ? `${path}?${qs}` : path, headers, body };
}

const REGISTRY: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Send one request and judge the reply. Event streams are read up to their headers. */
export function sendAndJudge(
  agent: http.Agent,
  port: number,
  w: WireRequest,
  k: RestKnowledge,
): Promise<RestOutcome> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: w.method,
        path: w.path,
        agent,
        headers: { ...w.headers, ...(w.body ? { 'content-length': String(w.body.length) } : {}) },
        timeout: 15_000,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const type = String(res.headers['content-type'] ?? '');
        if (type.startsWith('text/event-stream')) {
          res.destroy();
          resolve({
            status,
            ...(status === 200 ? {} : { problem: `event stream with status ${status}` }),
          });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) =>
          resolve({ status, problem: `reply body broke off: ${err.message}` }),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status, ...judge(w.method, status, type, text, k) });
        });
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error('no reply within 15 s'));
    });
    req.on('error', (err) =>
      resolve({ status: 0, problem: `no well-formed HTTP reply: ${err.message}` }),
    );
    req.end(w.body);
  });
}

function judge(
  method: string,
  status: number,
  type: string,
  text: string,
  k: RestKnowledge,
): { problem?: string } {
  if (status < 100 || status > 599) return { problem: `status ${status}` };
  if (status >= 500) return { problem: `answered ${status}: ${text.slice(0, 300)}` };
  if (method === 'HEAD') return {};
  const isJson = type.startsWith('application/json');
  let body: unknown;
  if (isJson) {
    try {
      body = JSON.parse(text);
    } catch {
      return { problem: `a JSON content type with a body that is not JSON: ${text.slice(0, 200)}` };
    }
  }
  if (status >= 400) {
    const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (!isJson || !e || typeof e.code !== 'string' || typeof e.message !== 'string') {
      return {
        problem: `a ${status} without {error:{code,message}}: ${type} ${text.slice(0, 200)}`,
      };
    }
    if (!REGISTRY.has(e.code)) return { problem: `error code ${e.code} is not in the registry` };
    return {};
  }
  if (isJson) k.learn(body);
  return {};
}
