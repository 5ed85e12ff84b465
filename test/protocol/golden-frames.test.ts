import t from 'tap';
import fc from 'fast-check';
import {
  checkMsgpack,
  CLIENT_FRAME_TYPES,
  decodeClientFrame,
  decodeRaw,
  encodeFrame,
  encodeFrameCopy,
  hubFrameSchema,
  taskSpecSchema,
} from '../../protocol/index.js';
import { INTEGER_TIME_FIELDS } from '../../protocol/integer-times.js';
import {
  bytesToHex,
  frameFixtures,
  hexToBytes,
  parseDocSession,
  protocolDoc,
  type FrameFixture,
} from './protocol-doc.js';

const fixtures = frameFixtures();
const HUB_FRAME_TYPES = new Set(hubFrameSchema.options.map((o) => o.shape.t.value as string));
const LIMIT = 1 << 20;

/** The hub schema for this frame's `t` (hub and client share `cancel`, `progress`, `drain`). */
const hubSchemaFor = (frame: { t: string }) =>
  hubFrameSchema.options.find((o) => o.shape.t.value === frame.t);

t.test('every frame fixture encodes to its bytes, byte for byte', async (t) => {
  for (const f of fixtures) {
    t.equal(bytesToHex(encodeFrame(f.frame)), f.hex, `${f.name}: encodeFrame`);
    t.equal(bytesToHex(encodeFrameCopy(f.frame)), f.hex, `${f.name}: encodeFrameCopy`);
    t.equal(checkMsgpack(hexToBytes(f.hex), 35), undefined, `${f.name}: plain msgpack only`);
  }
});

t.test('every frame fixture decodes back to its frame', async (t) => {
  for (const f of fixtures) {
    const bytes = hexToBytes(f.hex);
    if (f.from === 'client') {
      const r = decodeClientFrame(bytes, LIMIT);
      t.ok(r.ok, `${f.name}: decodeClientFrame accepts it`);
      if (r.ok) t.strictSame(r.frame, f.frame, `${f.name}: decoded as written`);
    } else {
      const raw = decodeRaw(bytes);
      t.strictSame(raw, f.frame, `${f.name}: decodeRaw`);
      t.strictSame(Object.keys(raw as object), Object.keys(f.frame), `${f.name}: key order kept`);
      const schema = hubSchemaFor(f.frame);
      t.ok(schema, `${f.name}: a hub frame type`);
      const parsed = schema?.safeParse(raw);
      t.ok(parsed?.success, `${f.name}: matches its hub schema ${JSON.stringify(parsed?.error)}`);
    }
  }
});

t.test('every frame type in each direction has a fixture', async (t) => {
  const byDirection = (from: FrameFixture['from']) =>
    new Set(fixtures.filter((f) => f.from === from).map((f) => f.frame.t));
  t.strictSame([...byDirection('client')].sort(), [...CLIENT_FRAME_TYPES].sort(), 'client → hub');
  t.strictSame([...byDirection('hub')].sort(), [...HUB_FRAME_TYPES].sort(), 'hub → client');
  t.equal(new Set(fixtures.map((f) => f.name)).size, fixtures.length, 'names are unique');
});

t.test('docs/protocol.md shows exactly the fixtures, and nothing it shows is wrong', async (t) => {
  const { steps, strayHex } = parseDocSession(protocolDoc());
  t.strictSame(strayHex, [], 'no hex line outside a frame line (the parser would not check it)');
  t.ok(steps.length >= fixtures.length, `found the example session (${steps.length} lines)`);
  const shown = new Map<string, number>();
  for (const step of steps) {
    const where = `docs/protocol.md:${step.line} (${step.frame.t})`;
    if (step.hex !== undefined) {
      const match = fixtures.find(
        (f) => f.hex === step.hex && JSON.stringify(f.frame) === JSON.stringify(step.frame),
      );
      t.ok(
        match,
        `${where}: the frame and bytes are a fixture; the encoder writes\n    ${bytesToHex(encodeFrame(step.frame))}`,
      );
      if (match) shown.set(match.name, (shown.get(match.name) ?? 0) + 1);
    }
    // Every decoded frame shown, with bytes or without, is one the receiver accepts.
    const bytes = encodeFrame(step.frame);
    if (step.direction === 'send') {
      const r = decodeClientFrame(bytes, LIMIT);
      t.ok(r.ok, `${where}: a valid client frame ${r.ok ? '' : r.message}`);
    } else {
      const parsed = hubSchemaFor(step.frame)?.safeParse(decodeRaw(bytes));
      t.ok(parsed?.success, `${where}: a valid hub frame ${JSON.stringify(parsed?.error)}`);
    }
  }
  for (const f of fixtures) t.equal(shown.get(f.name), 1, `fixture ${f.name} is shown once`);
});

t.test('the doc’s byte-by-byte annotation is the ack fixture', async (t) => {
  const doc = protocolDoc();
  const at = doc.indexOf('The bytes decode as follows');
  t.ok(at > 0, 'the annotation is there');
  const para = doc.slice(at, doc.indexOf('\n\n', at));
  const groups = [...para.matchAll(/`((?:[0-9a-f]{2} ?)+)`/g)].map((m) => m[1]!.trim());
  const ack = fixtures.find((f) => f.name === 'ack')!;
  t.equal(groups.join(' '), ack.hex);
});

t.test('times go out as int64, never float64, and read back as numbers', async (t) => {
  const task = fixtures.find((f) => f.name === 'task')!;
  const createdAt = task.frame.createdAt as number;
  t.match(task.hex, / a9 63 72 65 61 74 65 64 41 74 d3 00 00 01 a2 06 9f 18 33$/, 'createdAt: d3');
  t.notMatch(task.hex, /\bcb\b/, 'no float64 in a task frame');
  t.equal((decodeRaw(hexToBytes(task.hex)) as { createdAt: unknown }).createdAt, createdAt);

  const runAt = fixtures.find((f) => f.name === 'submit (runAt)')!;
  t.match(runAt.hex, /a5 72 75 6e 41 74 d3 /, 'runAt: d3');
  t.match(runAt.hex, /a5 74 74 6c 4d 73 ce 05 26 5c 00/, 'a duration below 2^32 stays uint32');

  // The in-place rewrite (createdAt last) and the copy (any other order) write the same bytes.
  const { createdAt: _at, ...rest } = task.frame;
  const first = encodeFrame({ t: 'task', createdAt, ...rest });
  t.match(bytesToHex(first), /a9 63 72 65 61 74 65 64 41 74 d3 00 00 01 a2 06 9f 18 33/);
  t.strictSame(decodeRaw(first), task.frame, 'createdAt first: same frame');
  const { payload: _payload, ...noPayload } = rest;
  const float = 1.5 * 2 ** 40 + 0.5;
  const floatLast = encodeFrame({ ...noPayload, createdAt, payload: float });
  const back = decodeRaw(floatLast) as { payload: unknown; createdAt: unknown };
  t.equal(back.payload, float, 'a float after the time is left alone');
  t.equal(back.createdAt, createdAt);
  t.match(bytesToHex(floatLast), /64 41 74 d3 /, 'and the time is still int64');
  // Not only the fixtures: any time a frame can carry, in any frame that can carry it.
  const many = encodeFrame({
    t: 'submit_many',
    id: 1,
    tasks: [{ queue: 'a' }, { queue: 'b', delayMs: 366 * 86_400_000, ttlMs: 2 ** 33 }],
  });
  t.equal(checkMsgpack(many, 35), undefined);
  t.notOk(bytesToHex(many).includes('cb'), 'submit_many: no float64');
  const r = decodeClientFrame(many, LIMIT);
  t.ok(r.ok && r.frame.t === 'submit_many' && r.frame.tasks[1]!.delayMs === 366 * 86_400_000);

  fc.assert(
    fc.property(fc.maxSafeInteger(), fc.nat({ max: 2 ** 53 - 1 }), (at, runAtValue) => {
      const frame = { ...task.frame, createdAt: at };
      const bytes = encodeFrame(frame);
      const wide = at > 0xffffffff || at < -0x80000000;
      // createdAt is the last field: a wide one is its final 9 bytes, d3 and the int64.
      const asInt64 = !wide || bytes[bytes.length - 9] === 0xd3;
      const spec = decodeClientFrame(
        encodeFrame({ t: 'submit', id: 1, task: { queue: 'q', runAt: runAtValue } }),
        LIMIT,
      );
      return (
        asInt64 &&
        frame.createdAt === at && // the caller's frame is left as it was
        (decodeRaw(bytes) as { createdAt: unknown }).createdAt === at &&
        checkMsgpack(bytes, 35) === undefined &&
        spec.ok &&
        spec.frame.t === 'submit' &&
        spec.frame.task.runAt === runAtValue
      );
    }),
    { seed: 12, numRuns: 2000 },
  );
});

t.test('every time field a frame schema declares is written as an integer', async (t) => {
  // A new `...At` field added to a frame without listing it would go out as float64 again.
  for (const schema of hubFrameSchema.options) {
    const type = schema.shape.t.value as string;
    for (const key of Object.keys(schema.shape)) {
      if (/At$/.test(key)) t.ok(INTEGER_TIME_FIELDS[type]?.includes(key), `${type}.${key}`);
    }
  }
  for (const [key, field] of Object.entries(taskSpecSchema.shape)) {
    const inner = 'unwrap' in field ? (field.unwrap() as { maxValue?: number | null }) : {};
    const mayPass32Bits = /At$/.test(key) || (inner.maxValue ?? 0) > 0xffffffff;
    if (!mayPass32Bits) continue;
    t.ok(INTEGER_TIME_FIELDS['submit.task']?.includes(key), `task spec ${key} (submit)`);
    t.ok(INTEGER_TIME_FIELDS['submit_many.tasks[]']?.includes(key), `task spec ${key} (many)`);
  }
});

t.test('an absent value goes out as nil, never as msgpackr’s undefined extension', async (t) => {
  const task = fixtures.find((f) => f.name === 'task')!.frame;
  const bytes = encodeFrame({ ...task, payload: undefined });
  t.equal(checkMsgpack(bytes, 35), undefined, 'plain msgpack');
  t.equal((decodeRaw(bytes) as { payload: unknown }).payload, null, 'payload: nil');
  const result = encodeFrame({
    t: 'result',
    taskId: 'k3x-1',
    status: 'completed',
    attempts: 1,
    result: undefined,
  });
  t.ok(bytesToHex(result).endsWith('a6 72 65 73 75 6c 74 c0'), 'result: c0');
});
