/**
 * What the WebSocket fuzzer sends, as fast-check arbitraries: valid frames of every client
 * type, the same frames with mutated fields (type confusion, huge and negative numbers,
 * NaN/Infinity, long strings, deep nesting, unknown and missing fields), hub-to-client frame
 * types sent the wrong way, msgpack extension types, raw random bytes, and valid frames
 * truncated or with flipped bits. Which connection sends them (its role, whether it said hello
 * first) is chosen per scenario.
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { FUZZ_MAX_FRAME_BYTES, FUZZ_QUEUES, ROLE_NAMES, type RoleName } from './fuzz-hub.js';

/**
 * A task id the fuzzer learned from the hub (submitted, task frames), resolved when the frame
 * is sent: frames that name real tasks reach the core's lease and state checks, not just the
 * "no such task" path. `REF + n` picks the n-th known id (modulo), `ATTEMPT + n` its attempt.
 */
export const REF = '\u0000ref:';
export const ATTEMPT = '\u0000att:';

export type Step =
  /** A frame object, encoded with plain msgpack when sent (after REF substitution). */
  | { kind: 'frame'; frame: unknown; note: string }
  /** Bytes sent as they are. */
  | { kind: 'bytes'; bytes: Uint8Array; note: string };

export interface Scenario {
  role: RoleName;
  /**
   * hello-wait: hello, wait for welcome, then the steps (they reach the handlers).
   * hello-nowait: hello and the steps at once (frames while authenticating).
   * no-hello: the steps on a fresh connection (frames before hello).
   */
  opening: 'hello-wait' | 'hello-nowait' | 'no-hello';
  steps: Step[];
  /** How the fuzzer leaves: a close handshake or a dropped TCP connection. */
  leave: 'close' | 'terminate';
}

const packPlain = new Packr({ useRecords: false, structuredClone: false, moreTypes: false });
/** msgpackr with everything it knows beyond msgpack: records, Date, Set, Map, RegExp, Error, BigInt… */
const packExotic = new Packr({ useRecords: true, structuredClone: true, moreTypes: true });

export function encodePlain(value: unknown): Uint8Array {
  return Uint8Array.prototype.slice.call(packPlain.pack(value));
}

// ------------------------------------------------------------------ building blocks

const reqId = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 1000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 0xffffffff - 1) },
);
const taskRef = fc.nat({ max: 10_000 }).map((n) => `${REF}${n}`);
const attemptRef = fc.oneof(
  { weight: 6, arbitrary: fc.nat({ max: 10_000 }).map((n) => `${ATTEMPT}${n}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }) },
);
const queueName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...FUZZ_QUEUES) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('probe-e2e-not', 'other', 'a', 'fz-a*', 'x'.repeat(128)),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,20}$/) },
);
/** A small pool, so different identities fight over the same worker ids. */
const workerId = fc.constantFrom('fz-w1', 'fz-w2', 'fz-w3', 'probe-1', 'w-1');
export const smallValue = fc.jsonValue({ maxDepth: 3 });

export const taskSpec = fc.record(
  {
    queue: queueName,
    payload: smallValue,
    priority: fc.constantFrom('critical', 'high', 'normal', 'low'),
    delayMs: fc.constantFrom(0, 10, 1000, 366 * 86_400_000),
    runAt: fc.constantFrom(0, Date.now() + 60_000),
    maxAttempts: fc.integer({ min: 1, max: 5 }),
    backoff: fc.record({
      type: fc.constantFrom('exponential', 'fixed'),
      delayMs: fc.integer({ min: 0, max: 1000 }),
    }),
    timeoutMs: fc.constantFrom(0, 50, 10_000),
    ttlMs: fc.constantFrom(0, 20, 60_000),
    idempotencyKey: fc.constantFrom('k1', 'k2', 'k3'),
    requires: fc.array(fc.constantFrom('gpu', 'cpu'), { maxLength: 2 }),
    resultTtlMs: fc.constantFrom(0, 100, 1000),
  },
  { requiredKeys: ['queue'] },
);

const heldLease = fc.record({ taskId: taskRef, attempt: attemptRef });

/** One arbitrary per client frame type, each producing frames the schema accepts. */
const validFrames = {
  hello: fc.record(
    {
      t: fc.constant('hello'),
      id: reqId,
      protocol: fc.oneof(
        { weight: 9, arbitrary: fc.constant(1) },
        { weight: 1, arbitrary: fc.constant(2) },
      ),
      token: fc.constantFrom(...ROLE_NAMES).map((r) => `\u0000token:${r}`),
      client: fc.constant('fuzz'),
    },
    { requiredKeys: ['t', 'id', 'protocol'] },
  ),
  register: fc.record(
    {
      t: fc.constant('register'),
      id: reqId,
      workerId,
      name: fc.string({ maxLength: 20 }),
      queues: fc.uniqueArray(queueName, { minLength: 1, maxLength: 3 }),
      capabilities: fc.array(fc.constantFrom('gpu', 'cpu'), { maxLength: 2 }),
      concurrency: fc.integer({ min: 1, max: 8 }),
      running: fc.array(heldLease, { maxLength: 4 }),
    },
    { requiredKeys: ['t', 'id', 'queues'] },
  ),
  heartbeat: fc.record({ t: fc.constant('heartbeat'), id: reqId }, { requiredKeys: ['t'] }),
  submit: fc.record({ t: fc.constant('submit'), id: reqId, task: taskSpec }),
  submit_many: fc.record({
    t: fc.constant('submit_many'),
    id: reqId,
    tasks: fc.array(taskSpec, { minLength: 1, maxLength: 5 }),
  }),
  progress: fc.record({
    t: fc.constant('progress'),
    taskId: taskRef,
    attempt: attemptRef,
    value: smallValue,
  }),
  complete: fc.record(
    {
      t: fc.constant('complete'),
      id: reqId,
      taskId: taskRef,
      attempt: attemptRef,
      result: smallValue,
    },
    { requiredKeys: ['t', 'taskId', 'attempt'] },
  ),
  fail: fc.record(
    {
      t: fc.constant('fail'),
      id: reqId,
      taskId: taskRef,
      attempt: attemptRef,
      error: fc.record(
        {
          message: fc.string({ maxLength: 40 }),
          code: fc.constantFrom('E1', 'HANDLER_ERROR', 'TIMEOUT'),
          retryable: fc.boolean(),
          details: smallValue,
        },
        { requiredKeys: ['message'] },
      ),
    },
    { requiredKeys: ['t', 'taskId', 'attempt', 'error'] },
  ),
  cancel: fc.record(
    { t: fc.constant('cancel'), id: reqId, taskId: taskRef, reason: fc.string({ maxLength: 20 }) },
    { requiredKeys: ['t', 'id', 'taskId'] },
  ),
  watch: fc.record(
    {
      t: fc.constant('watch'),
      id: reqId,
      taskIds: fc.array(taskRef, { minLength: 1, maxLength: 4 }),
      progress: fc.boolean(),
    },
    { requiredKeys: ['t', 'id', 'taskIds'] },
  ),
  drain: fc.record({ t: fc.constant('drain'), id: reqId }, { requiredKeys: ['t'] }),
};

const anyValidFrame: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 1, arbitrary: validFrames.hello },
  { weight: 3, arbitrary: validFrames.register },
  { weight: 1, arbitrary: validFrames.heartbeat },
  { weight: 4, arbitrary: validFrames.submit },
  { weight: 1, arbitrary: validFrames.submit_many },
  { weight: 2, arbitrary: validFrames.progress },
  { weight: 3, arbitrary: validFrames.complete },
  { weight: 2, arbitrary: validFrames.fail },
  { weight: 2, arbitrary: validFrames.cancel },
  { weight: 2, arbitrary: validFrames.watch },
  { weight: 1, arbitrary: validFrames.drain },
) as fc.Arbitrary<Record<string, unknown>>;

/** Frames only the hub sends, sent to the hub; and types nobody knows. */
const wrongWayFrame = fc.oneof(
  fc.record({
    t: fc.constantFrom(
      'welcome',
      'registered',
      'submitted',
      'submitted_many',
      'task',
      'result',
      'ack',
      'error',
    ),
    id: reqId,
    taskId: taskRef,
    code: fc.constant('INTERNAL'),
  }),
  fc.record({
    t: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('', 'HELLO', 'hello ', '__proto__', 'constructor'),
    ),
    id: reqId,
  }),
);

// ------------------------------------------------------------------ hostile values

const longString = fc
  .tuple(
    fc.integer({ min: 1_000, max: FUZZ_MAX_FRAME_BYTES - 512 }),
    fc.constantFrom('x', 'é', '😀', '\u0000', '\ud800'),
  )
  .map(([bytes, ch]) => ch.repeat(Math.max(1, Math.floor(bytes / Buffer.byteLength(ch)))));

const nested = fc.tuple(fc.integer({ min: 2, max: 120 }), fc.boolean()).map(([depth, asMap]) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = asMap ? { a: v } : [v];
  return v;
});

/** Values that do not belong where they land: the heart of type confusion. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 3, arbitrary: fc.integer() },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      NaN,
      Infinity,
      -Infinity,
      -0,
      0.5,
      -1,
      -(2 ** 31),
      2 ** 31,
      2 ** 32,
      2 ** 32 - 1,
      2 ** 53,
      2 ** 53 + 2,
      2 ** 64,
      -(2 ** 63),
      1e308,
      -1e308,
      Number.MIN_VALUE,
    ),
  },
  { weight: 2, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.constantFrom(true, false, null) },
  { weight: 2, arbitrary: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 5 }) },
  {
    weight: 2,
    arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), {
      maxKeys: 4,
    }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: longString },
  { weight: 1, arbitrary: nested },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '__proto__',
      'constructor',
      'toString',
      `${REF}0`,
      'fz-a',
      'probe-e2e',
      '*',
      '../../etc/passwd',
      '\u0000',
      'null',
      '1e309',
    ),
  },
  // A map whose key is __proto__ (JSON.parse makes it an own property, as msgpack maps are).
  {
    weight: 1,
    arbitrary: fc.constant(
      JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}'),
    ),
  },
);

/** What msgpackr could decode into something that is not plain data. */
const exoticValue = fc.constantFrom<() => unknown>(
  () => new Date(0),
  () => new Set([1, 2]),
  () =>
    new Map<unknown, unknown>([
      [1, 2],
      [{}, 3],
    ]),
  () => /x+/g,
  () => new Error('boom'),
  () => 2n ** 100n,
  () => -(2n ** 70n),
  () => 2n ** 63n,
  () => new Float64Array([1, 2]),
  () => new Int8Array([1, -1]),
  () => undefined,
  () => ({ a: 1, b: 2 }), // becomes a record definition with useRecords
);

// ------------------------------------------------------------------ mutation

/** Every path (of keys) inside a value, the root included. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(prefix);
  if (prefix.length > 6) return out;
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    for (const k of Object.keys(value))
      paths((value as Record<string, unknown>)[k], [...prefix, k], out);
  }
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown, del: boolean): unknown {
  if (path.length === 0) return value;
  const parent = path
    .slice(0, -1)
    .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], root);
  const key = path[path.length - 1]!;
  if (del) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete (parent as Record<string, unknown>)[key];
  } else (parent as Record<string, unknown>)[key] = value;
  return root;
}

export type Mutation =
  | { op: 'set'; pick: number; value: unknown }
  | { op: 'delete'; pick: number }
  | { op: 'add'; key: string; value: unknown }
  | { op: 'retype'; t: string }
  | { op: 'wrap' };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ op: fc.constant('set' as const), pick: fc.nat(), value: hostileValue }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      key: fc.oneof(
        fc.string({ maxLength: 10 }),
        fc.constantFrom('__proto__', 'constructor', 'extra'),
      ),
      value: hostileValue,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('retype' as const),
      t: fc.constantFrom(...Object.keys(validFrames)),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'wrap' as const }) },
);

/** A deep copy that keeps a "__proto__" key a key (structuredClone and spreads do not). */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (ArrayBuffer.isView(value)) return (value as Uint8Array).slice();
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    Object.defineProperty(out, k, {
      value: copy((value as Record<string, unknown>)[k]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

export function mutate(
  frame: Record<string, unknown>,
  mutations: Mutation[],
): { frame: unknown; note: string } {
  let out: unknown = copy(frame);
  const notes: string[] = [];
  for (const m of mutations) {
    if (m.op === 'wrap') {
      out = [out];
      notes.push('wrap');
      continue;
    }
    if (m.op === 'retype') {
      if (out !== null && typeof out === 'object' && !Array.isArray(out))
        (out as Record<string, unknown>).t = m.t;
      notes.push(`t=${m.t}`);
      continue;
    }
    if (m.op === 'add') {
      if (out !== null && typeof out === 'object' && !Array.isArray(out)) {
        Object.defineProperty(out, m.key, {
          value: copy(m.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      notes.push(`+${JSON.stringify(m.key)}`);
      continue;
    }
    const all = paths(out);
    const path = all[m.pick % all.length]!;
    if (m.op === 'delete' && path.length === 0) continue;
    // A copy: fc.constant hands out one shared instance, and a later mutation of it could
    // make a cycle.
    out = setAt(out, path, m.op === 'set' ? copy(m.value) : undefined, m.op === 'delete');
    notes.push(`${m.op}:${path.join('.') || '(root)'}`);
  }
  return { frame: out, note: notes.join(',') };
}

// ------------------------------------------------------------------ steps and scenarios

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 30,
    arbitrary: anyValidFrame.map((f): Step => ({
      kind: 'frame',
      frame: f,
      note: `valid ${String(f.t)}`,
    })),
  },
  {
    weight: 35,
    arbitrary: fc
      .tuple(anyValidFrame, fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([f, ms]): Step => {
        const m = mutate(f, ms);
        return { kind: 'frame', frame: m.frame, note: `mutated ${String(f.t)} ${m.note}` };
      }),
  },
  {
    weight: 5,
    arbitrary: wrongWayFrame.map((f): Step => ({
      kind: 'frame',
      frame: f,
      note: `wrong-way ${String(f.t)}`,
    })),
  },
  {
    weight: 6,
    arbitrary: fc
      .oneof(
        { weight: 6, arbitrary: fc.uint8Array({ maxLength: 64 }) },
        { weight: 2, arbitrary: fc.uint8Array({ minLength: 64, maxLength: 2048 }) },
        // past the soft limit (an error frame) and past 4x (close 1009)
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(
              FUZZ_MAX_FRAME_BYTES + 1,
              FUZZ_MAX_FRAME_BYTES * 2,
              FUZZ_MAX_FRAME_BYTES * 4 + 1,
            )
            .map((n) => new Uint8Array(n).fill(0x91)),
        },
      )
      .map((bytes): Step => ({ kind: 'bytes', bytes, note: `random ${bytes.length} bytes` })),
  },
  {
    weight: 10,
    arbitrary: fc
      .tuple(
        anyValidFrame,
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.boolean(),
      )
      .map(([f, cut, flips, truncate]): Step => {
        const bytes = encodePlain(f);
        if (truncate) {
          return {
            kind: 'bytes',
            bytes: bytes.slice(0, cut % bytes.length),
            note: `truncated ${String(f.t)}`,
          };
        }
        for (const [at, xor] of flips) bytes[at % bytes.length] ^= xor;
        return { kind: 'bytes', bytes, note: `bit-flipped ${String(f.t)}` };
      }),
  },
  {
    weight: 6,
    arbitrary: fc.tuple(anyValidFrame, fc.nat(), exoticValue).map(([f, pick, make]): Step => {
      const all = paths(f).filter((p) => p.length > 0 && p[0] !== 't');
      const path = all.length ? all[pick % all.length]! : ['x'];
      const frame = setAt(copy(f), path, make(), false);
      let bytes: Uint8Array;
      try {
        bytes = Uint8Array.prototype.slice.call(packExotic.pack(frame));
      } catch {
        bytes = encodePlain(f);
      }
      return { kind: 'bytes', bytes, note: `exotic ${String(f.t)} at ${path.join('.')}` };
    }),
  },
  // a second hello on an open session
  {
    weight: 2,
    arbitrary: validFrames.hello.map((f): Step => ({
      kind: 'frame',
      frame: f,
      note: 'hello again',
    })),
  },
);

const REFUSED_ROLES: ReadonlySet<RoleName> = new Set([
  'expired',
  'wrong-secret',
  'garbage',
  'none',
]);

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  // Mostly tokens that get in, so frames reach the handlers; the refused ones still get their turn.
  role: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...ROLE_NAMES.filter((r) => !REFUSED_ROLES.has(r))) },
    { weight: 1, arbitrary: fc.constantFrom(...REFUSED_ROLES) },
  ),
  opening: fc.oneof(
    { weight: 7, arbitrary: fc.constant('hello-wait' as const) },
    { weight: 2, arbitrary: fc.constant('hello-nowait' as const) },
    { weight: 1, arbitrary: fc.constant('no-hello' as const) },
  ),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 40 }),
  leave: fc.constantFrom('close' as const, 'terminate' as const),
});

/** Scenarios for one batch: at least `frames` steps, the same ones for the same seed. */
export function sampleScenarios(seed: number, frames: number): Scenario[] {
  const out: Scenario[] = [];
  let n = 0;
  let round = 0;
  while (n < frames) {
    for (const s of fc.sample(scenarioArb, { seed: (seed + round++) | 0, numRuns: 25 })) {
      out.push(s);
      n += s.steps.length;
      if (n >= frames) break;
    }
  }
  return out;
}
