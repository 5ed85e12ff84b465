import t from 'tap';
import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import { acceptHotFrame } from '../../protocol/frame-fast-path.js';
import { clientFrameSchema, decodeClientFrame, ErrorCode } from '../../protocol/index.js';

// The frames as the hub sees them: encoded with plain msgpack, decoded as the codec decodes.
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const roundTrip = (v: unknown): Record<string, unknown> =>
  unpackr.unpack(packr.pack(v)) as Record<string, unknown>;

const EDGE_NUMBERS = [
  -1,
  0,
  1,
  0.5,
  999,
  1000,
  1001,
  100_000,
  100_001,
  0xffffffff,
  0x100000000,
  86_400_000 * 7,
  86_400_000 * 7 + 1,
  86_400_000 * 30,
  86_400_000 * 30 + 1,
  86_400_000 * 366,
  86_400_000 * 366 + 1,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  NaN,
  Infinity,
];
const EDGE_STRINGS = [
  '',
  'q',
  'bench',
  'a b',
  '-q',
  'q'.repeat(128),
  'q'.repeat(129),
  'x'.repeat(257),
];

/** Values at and just past every bound the fast path restates, plus type confusion. */
const edgeNumber = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(...EDGE_NUMBERS),
  },
  fc.integer(),
);
const edgeString = fc.oneof(fc.constantFrom(...EDGE_STRINGS), fc.string({ maxLength: 20 }));
const anyField = fc.oneof(
  { arbitrary: edgeNumber, weight: 8 },
  { arbitrary: edgeString, weight: 3 },
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('critical', 'high', 'normal', 'low', 'urgent'),
  fc.constant([]),
  fc.constant({}),
  fc.constant({ nested: [1, { a: 2 }] }),
);
/** Valid frames of every hot type, with every optional field the fast path knows. */
const FULL_SPEC = {
  queue: 'bench',
  payload: { i: 1 },
  priority: 'low',
  delayMs: 5,
  runAt: 1_700_000_000_000,
  maxAttempts: 3,
  timeoutMs: 1000,
  ttlMs: 2000,
  idempotencyKey: 'k',
  resultTtlMs: 3000,
};
const BASES: Record<string, unknown>[] = [
  { t: 'complete', id: 1, taskId: 't-1', attempt: 1, result: { i: 1 } },
  {
    t: 'fail',
    id: 1,
    taskId: 't-1',
    attempt: 1,
    error: { message: 'm', code: 'E', retryable: true, details: 'd' },
  },
  { t: 'progress', taskId: 't-1', attempt: 1, value: 5 },
  { t: 'heartbeat', id: 4 },
  { t: 'submit', id: 1, task: FULL_SPEC },
  {
    t: 'submit_many',
    id: 1,
    tasks: [FULL_SPEC, { queue: 'bench' }, { queue: 'other', payload: null }],
  },
];

/** A field of the frame, of its task or error, or of one of its tasks: changed or removed. */
const WHERES = ['frame', 'task', 'error', 'tasks.0', 'tasks.1', 'tasks.2'];
const MUTABLE_KEYS = new Set([
  ...BASES.flatMap((b) => Object.keys(b)),
  ...Object.keys(FULL_SPEC),
  'message',
  'code',
  'retryable',
  'details',
  'backoff',
  'requires',
  'extra',
]);
const mutationArb = fc.record({
  where: fc.constantFrom(...WHERES),
  key: fc.constantFrom(...MUTABLE_KEYS),
  value: fc.option(anyField, { nil: undefined, freq: 4 }),
});

function mutated(
  base: Record<string, unknown>,
  ms: { where: string; key: string; value: unknown }[],
): unknown {
  const frame = structuredClone(base);
  for (const m of ms) {
    const target: unknown =
      m.where === 'frame'
        ? frame
        : m.where.startsWith('tasks.')
          ? (frame.tasks as unknown[] | undefined)?.[Number(m.where.slice(6))]
          : frame[m.where];
    if (typeof target !== 'object' || target === null || Array.isArray(target)) continue;
    const rec = target as Record<string, unknown>;
    if (m.value === undefined) delete rec[m.key];
    else rec[m.key] = m.value;
  }
  return frame;
}

const frameArb = fc
  .tuple(fc.constantFrom(...BASES), fc.array(mutationArb, { maxLength: 2 }))
  .map(([base, ms]) => mutated(base, ms));

t.test('the fast path accepts nothing the schema refuses, and returns what it would', async (t) => {
  let accepted = 0;
  fc.assert(
    fc.property(frameArb, (frame) => {
      const raw = roundTrip(frame);
      const fast = acceptHotFrame(raw);
      if (fast === undefined) return true;
      accepted++;
      const parsed = clientFrameSchema.safeParse(raw);
      return parsed.success && JSON.stringify(parsed.data) === JSON.stringify(fast);
    }),
    { numRuns: 50_000, seed: 12 },
  );
  // The generator must reach the fast path often enough for the property to mean something.
  t.ok(accepted > 500, `fast path accepted ${accepted} of 50,000 generated frames`);
});

t.test('every single field at every edge value: the fast path and the schema agree', async (t) => {
  const edges: unknown[] = [
    ...EDGE_NUMBERS,
    ...EDGE_STRINGS,
    true,
    null,
    'urgent',
    [],
    {},
    { nested: [1, { a: 2 }] },
    undefined, // the field removed
  ];
  const keys = [...MUTABLE_KEYS];
  let cases = 0;
  let disagreements = 0;
  for (const base of BASES)
    for (const where of WHERES)
      for (const key of keys)
        for (const value of edges) {
          const raw = roundTrip(mutated(base, [{ where, key, value }]));
          const fast = acceptHotFrame(raw);
          cases++;
          if (fast === undefined) continue;
          const parsed = clientFrameSchema.safeParse(raw);
          if (!parsed.success || JSON.stringify(parsed.data) !== JSON.stringify(fast)) {
            disagreements++;
            if (disagreements <= 3)
              t.fail(`fast path accepts what the schema refuses: ${JSON.stringify(raw)}`);
          }
        }
  t.equal(disagreements, 0, `${cases} single-field cases`);
});

t.test('the usual frames of a busy hub take the fast path', async (t) => {
  const usual: Record<string, unknown>[] = [
    { t: 'complete', taskId: 't-1', attempt: 1, result: { i: 1, t: 2.5 } },
    { t: 'complete', id: 3, taskId: 't-1', attempt: 2 },
    { t: 'fail', taskId: 't-1', attempt: 1, error: { message: 'boom', retryable: false } },
    { t: 'progress', taskId: 't-1', attempt: 1, value: 50 },
    { t: 'heartbeat' },
    { t: 'heartbeat', id: 9 },
    { t: 'submit', id: 1, task: { queue: 'q', payload: 'x', priority: 'high' } },
    { t: 'submit_many', id: 2, tasks: [{ queue: 'q', payload: 1 }, { queue: 'q' }] },
  ];
  for (const f of usual) t.ok(acceptHotFrame(roundTrip(f)), `${JSON.stringify(f)}`);
});

t.test('what the fast path leaves alone still gets the schema and its message', async (t) => {
  const bad = roundTrip({ t: 'submit_many', id: 2, tasks: [{ queue: 'q' }, { queue: 'a b' }] });
  t.equal(acceptHotFrame(bad), undefined);
  const r = decodeClientFrame(packr.pack(bad), 1 << 20);
  t.equal(r.ok, false);
  if (!r.ok) {
    t.equal(r.code, ErrorCode.INVALID_FRAME);
    t.match(r.message, /tasks\.1\.queue/);
  }
  // Valid but unusual: a backoff is the schema's to check, and it accepts it.
  const withBackoff = { queue: 'q', backoff: { type: 'fixed', delayMs: 5 } };
  t.equal(acceptHotFrame(roundTrip({ t: 'submit', id: 1, task: withBackoff })), undefined);
  t.ok(decodeClientFrame(packr.pack({ t: 'submit', id: 1, task: withBackoff }), 1 << 20).ok);
});
