import t from 'tap';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  checkMsgpack,
  decodeClientFrame,
  encodeFrame,
  ErrorCode,
  MAX_FRAME_DEPTH,
  MAX_VALUE_DEPTH,
} from '../../protocol/index.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
/** A submit frame `{t:"submit",id:1,task:{queue:"q",payload:<value>}}` around raw value bytes. */
const submitWith = (value: string): Uint8Array =>
  hex(`83 a174 a6${Buffer.from('submit').toString('hex')} a26964 01 a47461736b
       82 a5${Buffer.from('queue').toString('hex')} a171 a7${Buffer.from('payload').toString('hex')} ${value}`);

t.test('a plain submit frame written by hand passes and decodes', async (t) => {
  const r = decodeClientFrame(submitWith('a3616263'), 1 << 20);
  t.ok(r.ok);
  if (r.ok && r.frame.t === 'submit') t.equal(r.frame.task.payload, 'abc');
});

t.test('extension types are refused with BAD_FRAME naming the type', async (t) => {
  const cases: [string, string, RegExp][] = [
    // msgpackr encodes a 128-bit BigInt as ext 0x42: the 18-byte value from the report
    ['BigInt', 'c7 10 42 ' + '00'.repeat(16), /BigInt/],
    ['undefined', 'd4 00 00', /undefined/],
    ['record definition', 'd4 72 00', /record definition/],
    ['timestamp', 'd6 ff 00000000', /timestamp/],
    ['Error', 'c7 01 65 00', /Error/],
    ['Set', 'c7 01 73 90', /Set/],
    ['RegExp', 'c7 01 78 00', /RegExp/],
    ['typed array', 'c7 01 74 00', /typed array/],
    ['ext16', 'c8 0001 01 00', /extension/],
    ['ext32', 'c9 00000001 01 00', /extension/],
    ['never-used 0xc1', 'c1', /0xc1/],
  ];
  for (const [name, bytes, re] of cases) {
    const r = decodeClientFrame(submitWith(bytes), 1 << 20);
    t.notOk(r.ok, name);
    if (!r.ok) {
      t.equal(r.code, ErrorCode.BAD_FRAME, name);
      t.match(r.message, re, name);
    }
  }
});

t.test('64-bit integers: exact ones decode as numbers, others are refused', async (t) => {
  const ok = decodeClientFrame(submitWith('cf 00000000 ffffffff'), 1 << 20);
  t.ok(ok.ok);
  if (ok.ok && ok.frame.t === 'submit') t.equal(ok.frame.task.payload, 4294967295);
  const max = decodeClientFrame(submitWith('cf 001fffff ffffffff'), 1 << 20);
  t.ok(max.ok, '2^53-1 is exact');
  const minNeg = decodeClientFrame(submitWith('d3 ffe00000 00000001'), 1 << 20);
  t.ok(minNeg.ok, '-(2^53-1) is exact');
  if (minNeg.ok && minNeg.frame.t === 'submit')
    t.equal(minNeg.frame.task.payload, -Number.MAX_SAFE_INTEGER);
  for (const v of [
    'cf 00200000 00000000',
    'cf ffffffff ffffffff',
    'd3 ffe00000 00000000',
    'd3 7fffffff ffffffff',
  ]) {
    const r = decodeClientFrame(submitWith(v), 1 << 20);
    t.notOk(r.ok, v);
    if (!r.ok) t.match(r.message, /2\^53-1/);
  }
});

t.test('length bombs are refused before anything is sized by them', async (t) => {
  for (const v of [
    'dd ffffffff',
    'df ffffffff',
    'db ffffffff',
    'c6 ffffffff',
    'dc ffff',
    'de ffff 00',
  ]) {
    const bytes = submitWith(v);
    t.ok(bytes.byteLength < 64, 'a small frame');
    const before = process.memoryUsage().arrayBuffers;
    const r = decodeClientFrame(bytes, 1 << 20);
    t.notOk(r.ok, v);
    if (!r.ok) {
      t.equal(r.code, ErrorCode.BAD_FRAME);
      t.match(r.message, /announced/);
    }
    t.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, 'nothing big was allocated');
  }
});

t.test('nesting is bounded, in both containers', async (t) => {
  const deep = (n: number, open: string): string => open.repeat(n) + 'c0';
  // the payload sits 3 levels down in this frame; the frame limit leaves MAX_VALUE_DEPTH for it
  const atLimit = decodeClientFrame(submitWith(deep(MAX_VALUE_DEPTH, '91')), 1 << 20);
  t.ok(atLimit.ok, `a payload ${MAX_VALUE_DEPTH} arrays deep passes`);
  const over = decodeClientFrame(submitWith(deep(MAX_VALUE_DEPTH + 1, '91')), 1 << 20);
  t.notOk(over.ok);
  const mapsOver = decodeClientFrame(submitWith(deep(MAX_VALUE_DEPTH + 1, '81a178')), 1 << 20);
  t.notOk(mapsOver.ok);
  // 100,000 levels: refused without a stack overflow
  const huge = decodeClientFrame(submitWith(deep(100_000, '91')), 1 << 20);
  t.notOk(huge.ok);
  if (!huge.ok) t.match(huge.message, new RegExp(`deeper than ${MAX_FRAME_DEPTH}`));
});

t.test('strings must be valid UTF-8; map keys must be strings; nothing may trail', async (t) => {
  const bad = decodeClientFrame(submitWith('a2 c328'), 1 << 20);
  t.notOk(bad.ok);
  if (!bad.ok) t.match(bad.message, /UTF-8/);
  const good = decodeClientFrame(submitWith('a2 c3a9'), 1 << 20);
  t.ok(good.ok, 'é passes');
  const intKey = decodeClientFrame(submitWith('81 01 c0'), 1 << 20);
  t.notOk(intKey.ok);
  if (!intKey.ok) t.match(intKey.message, /keys must be strings/);
  const trailing = Uint8Array.from([...submitWith('c0'), 0xc0]);
  const r = decodeClientFrame(trailing, 1 << 20);
  t.notOk(r.ok);
  if (!r.ok) t.match(r.message, /after the end/);
  const truncated = submitWith('a5 6162');
  t.notOk(decodeClientFrame(truncated, 1 << 20).ok);
});

t.test('property: whatever plain msgpack encodes from JSON values passes the check', async (t) => {
  const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: false });
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
      const bytes = packr.pack(value);
      return checkMsgpack(bytes, 16) === undefined;
    }),
    { seed: 11, numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      // random bytes never throw, whatever they announce
      const r = decodeClientFrame(bytes, 1 << 20);
      return typeof r.ok === 'boolean';
    }),
    { seed: 12, numRuns: 20_000 },
  );
  t.pass('properties held');
});

t.test('what the hub encodes, a client frame built the same way decodes', async (t) => {
  const bytes = encodeFrame({
    t: 'submit',
    id: 7,
    task: { queue: 'q', payload: { a: [1, 'x', null, true, 1.5] } },
  });
  const r = decodeClientFrame(bytes, 1 << 20);
  t.ok(r.ok);
});
