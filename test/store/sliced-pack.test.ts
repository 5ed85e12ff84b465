/**
 * The snapshot file written in slices (sliced-pack.ts, writeSnapshotFileInSlices) is byte for
 * byte the file written in one go, so every reader of snapshots reads it as before.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import t from 'tap';
import { MemoryStore } from '../../server/store/index.js';
import {
  readSnapshotFile,
  snapshotName,
  writeSnapshotFile,
  writeSnapshotFileInSlices,
} from '../../server/store/snapshot-file.js';
import { slicedPack } from '../../server/store/sliced-pack.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CoreDriver, coreState, replayedState } from './store-contract.js';

const packr = new Packr({ useRecords: false, moreTypes: false });

const joined = (value: unknown, bytesPerPiece?: number): Buffer =>
  Buffer.concat([...slicedPack(packr, value, bytesPerPiece)]);

// Values of a snapshot's kinds: plain objects (keys with undefined values too), arrays short
// and long (long ones are cut into runs), strings, numbers, null, bytes.
const leaf = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    leaf,
    fc.array(tie('value'), { maxLength: 8 }),
    // Long arrays hold leaves and small records (a snapshot's tasks), not more long arrays.
    fc.array(fc.oneof(leaf, fc.dictionary(fc.string({ maxLength: 4 }), leaf, { maxKeys: 4 })), {
      minLength: 65,
      maxLength: 400,
    }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 6 }),
  ),
}));

t.test('the pieces are msgpackr’s bytes for the whole value', async (t) => {
  let runs = 0;
  fc.assert(
    fc.property(value, fc.integer({ min: 1, max: 4096 }), (v, per) => {
      runs++;
      const whole = Buffer.from(packr.pack(v));
      if (!joined(v, per).equals(whole)) throw new Error('pieces differ from the whole');
    }),
    { numRuns: 300 },
  );
  t.equal(runs, 300);
  // Long arrays of any length class, each header size.
  for (const n of [65, 65_535, 65_536, 70_000]) {
    const a = Array.from({ length: n }, (_, i) => (i % 7 ? i : { i, s: 'x'.repeat(i % 40) }));
    t.ok(joined(a, 1000).equals(Buffer.from(packr.pack(a))), `an array of ${n}`);
  }
});

t.test('a core snapshot in slices is the file written at once', async (t) => {
  const d = new CoreDriver(new MemoryStore());
  d.scripted(60);
  d.run({
    type: 'federation.push',
    now: d.now,
    federation: 'team',
    by: 'key:1',
    summary: {
      agentId: 'agent-1',
      timestamp: '2026-02-01T12:00:00Z',
      at: Date.parse('2026-02-01T12:00:00Z'),
      topicCounts: { a: 1 },
      factHashes: Array.from({ length: 300 }, (_, i) => i.toString(16).padStart(64, '0')),
    },
  });
  d.core.takeEffects();
  const state = d.core.snapshot();
  t.equal(state.federations?.length, 1, 'a federation is in it');
  const one = tempDir(t, 'sb-sliced-one-');
  const sliced = tempDir(t, 'sb-sliced-');
  const body = { coversSegment: 7, createdAt: 123, state };
  writeSnapshotFile(one, body);
  await writeSnapshotFileInSlices(sliced, body, 0);
  const a = readFileSync(path.join(one, snapshotName(7)));
  const b = readFileSync(path.join(sliced, snapshotName(7)));
  t.ok(a.equals(b), `the same ${a.length} bytes, checksum included`);
  t.equal(
    replayedState(readSnapshotFile(path.join(sliced, snapshotName(7))).state, []),
    coreState(d.core),
    'and restores the state it was taken from',
  );
});
