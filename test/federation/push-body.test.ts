import t from 'tap';
import fc from 'fast-check';
import { decodePushBody, PackedPushBody } from '../../server/http/federation-push-body.js';

/**
 * The push route's fast reading of a body (hex hashes decoded from the bytes, the rest by
 * JSON.parse) must never see another body than JSON.parse does: when it takes a body, the
 * summary is JSON.parse's with the hex hashes as bytes; anything it is unsure of goes to
 * the plain path (undefined here). JSON.parse is the oracle throughout.
 */

const HEX = Array.from({ length: 8 }, (_, i) =>
  Array.from({ length: 32 }, (_, j) =>
    ((i * 37 + j * 11) & 0xff).toString(16).padStart(2, '0'),
  ).join(''),
);

const hexOf = (packed: Uint8Array): string[] => {
  const out: string[] = [];
  for (let i = 0; i < packed.length; i += 32)
    out.push(Buffer.from(packed.subarray(i, i + 32)).toString('hex'));
  return out;
};

type Json = Record<string, unknown>;

/** Check the fast reading of `text` against JSON.parse; true when it took the body. */
function agrees(text: string): boolean {
  const raw = Buffer.from(text);
  const d = decodePushBody(raw, 64);
  if (d === undefined) return false;
  if (!(d instanceof PackedPushBody)) throw new Error('not a PackedPushBody');
  let want: Json;
  try {
    // The bytes as the plain path reads them (a lone surrogate in `text` is U+FFFD there).
    want = JSON.parse(raw.toString('utf8')) as Json;
  } catch {
    throw new Error(`taken, but JSON.parse refuses it: ${text}`);
  }
  const got = d.json as Json;
  const ws = want.summary as Json;
  const gs = got.summary as Json;
  const wantHashes = (ws.fact_hashes as string[]).slice().sort();
  const gotHashes = [...(gs.fact_hashes as string[]), ...hexOf(d.packed)].sort();
  if (JSON.stringify(wantHashes) !== JSON.stringify(gotHashes))
    throw new Error(`hashes differ for ${text}`);
  const rest = (o: Json) => ({ ...o, summary: { ...(o.summary as Json), fact_hashes: null } });
  if (JSON.stringify(rest(want)) !== JSON.stringify(rest(got)))
    throw new Error(`the rest differs for ${text}`);
  return true;
}

const summary = (hashes: unknown[], extra: Json = {}) => ({
  summary: { agent_id: 'a', timestamp: '2026-02-01T12:00:00Z', fact_hashes: hashes, ...extra },
});

t.test('a plain body is taken, every hex hash as bytes', async (t) => {
  const body = JSON.stringify(
    summary([...HEX, 'abc123...', 'É tiquette'], { topic_counts: { x: 1 } }),
  );
  const d = decodePushBody(Buffer.from(body), 64)!;
  t.ok(d instanceof PackedPushBody);
  t.same(hexOf(d.packed), HEX, 'the hex hashes, in order, as bytes');
  t.same(
    (d.json as { summary: Json }).summary.fact_hashes,
    ['abc123...', 'É tiquette'],
    'others as strings',
  );
  t.ok(agrees(body));
  // Python's json.dumps spacing, and pretty printing.
  t.ok(agrees(body.replaceAll(',', ', ').replaceAll(':', ': ')));
  t.ok(agrees(JSON.stringify(JSON.parse(body), null, 2)));
  t.ok(agrees(JSON.stringify(summary([]))), 'no hashes');
});

t.test('what the fast reading leaves to the plain path', async (t) => {
  const h = HEX[0]!;
  const cases: [string, string][] = [
    ['the key escaped', `{"summary":{"agent_id":"a","fact\\u005fhashes":["${h}"]}}`],
    ['two fact_hashes', `{"summary":{"fact_hashes":["${h}"],"fact_hashes":[]}}`],
    ['two summaries', `{"summary":{"fact_hashes":["${h}"]},"summary":{"fact_hashes":[]}}`],
    ['a number among the hashes', JSON.stringify(summary([h, 7]))],
    ['hashes not an array', JSON.stringify(summary(h as unknown as unknown[]))],
    ['no fact_hashes', JSON.stringify({ summary: { agent_id: 'a' } })],
    ['summary not an object', JSON.stringify({ summary: [h] })],
    ['truncated after the hashes', JSON.stringify(summary([h])).slice(0, -2)],
    ['bad JSON after the hashes', JSON.stringify(summary([h])).replace('"agent_id"', 'agent_id')],
    ['trailing garbage', `${JSON.stringify(summary([h]))}x`],
    ['too many hashes', JSON.stringify(summary(Array.from({ length: 10_001 }, () => h)))],
    ['not an object', `["${h}"]`],
  ];
  for (const [what, body] of cases) t.equal(decodePushBody(Buffer.from(body), 64), undefined, what);
  const deep = `{"summary":{"fact_hashes":["${h}"],"metadata":${'['.repeat(70)}${']'.repeat(70)}}}`;
  t.equal(decodePushBody(Buffer.from(deep), 64), undefined, 'deeper than the limit');
});

t.test('fact_hashes elsewhere in the body is not the summary’s', async (t) => {
  const h = HEX[1]!;
  for (const body of [
    JSON.stringify(summary([HEX[2]], { metadata: { fact_hashes: [h] } })),
    JSON.stringify(summary([HEX[2]], { topic_counts: { fact_hashes: 3 } })),
    JSON.stringify({ fact_hashes: [h], ...summary([HEX[2]]) }),
    JSON.stringify({ other: { summary: { fact_hashes: [h] } }, ...summary([HEX[2]]) }),
    JSON.stringify(summary([HEX[2]], { agent_id: `"fact_hashes":["${h}"]` })),
  ]) {
    const d = decodePushBody(Buffer.from(body), 64)!;
    t.same(hexOf(d.packed), [HEX[2]], body.slice(0, 60));
    t.ok(agrees(body));
  }
});

t.test('random bodies and random damage: taken only as JSON.parse reads them', async (t) => {
  const str = fc.oneof(
    fc.constantFrom(...HEX, 'fact_hashes', 'summary', '\\', '"', ']', '['),
    fc.string({ maxLength: 8 }),
    fc.string({ unit: 'grapheme', maxLength: 4 }),
  );
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      str,
      fc.integer(),
      fc.constant(null),
      fc.array(tie('v'), { maxLength: 3 }),
      fc.dictionary(str, tie('v'), { maxKeys: 3 }),
    ),
  })).v;
  const body = fc.record({
    hashes: fc.array(fc.oneof(fc.constantFrom(...HEX), str), { maxLength: 6 }),
    extra: fc.dictionary(str, value, { maxKeys: 3 }),
    outer: fc.dictionary(str, value, { maxKeys: 2 }),
    indent: fc.constantFrom(undefined, 1, '\t'),
  });
  const edit = fc.record({
    at: fc.nat(),
    del: fc.nat(3),
    ins: fc.constantFrom(
      '',
      '"',
      '\\',
      ',',
      ']',
      '[',
      '{',
      '}',
      ':',
      ' ',
      'a',
      '0',
      '"fact_hashes":',
    ),
  });
  let taken = 0;
  let damagedTaken = 0;
  fc.assert(
    fc.property(body, fc.array(edit, { maxLength: 3 }), (b, edits) => {
      let text = JSON.stringify({ ...b.outer, ...summary(b.hashes, b.extra) }, null, b.indent);
      if (agrees(text)) taken++;
      for (const e of edits) {
        const at = e.at % (text.length + 1);
        text = text.slice(0, at) + e.ins + text.slice(at + e.del);
      }
      if (edits.length > 0 && agrees(text)) damagedTaken++;
      return true;
    }),
    { numRuns: 3000 },
  );
  t.ok(taken > 1000, `${taken} of 3,000 plain bodies taken the fast way`);
  t.comment(`${damagedTaken} damaged bodies taken (each as JSON.parse reads it)`);
});
