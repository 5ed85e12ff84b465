import t from 'tap';
import fc from 'fast-check';
import { MAX_CHUNK, SortedChunks } from '../../server/core/sorted-chunks.js';

/** Random inserts and removes against a sorted array: same content, chunks ordered and bounded. */
t.test('sorted chunks equal a sorted array through any inserts and removes', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 6000 })), {
        maxLength: 8000,
        size: 'max',
      }),
      fc.integer({ min: 0, max: 3000 }),
      (ops, initial) => {
        const start = Array.from(
          { length: initial },
          (_, i) => `k${(i * 2).toString().padStart(5, '0')}`,
        );
        const s = SortedChunks.fromSorted(start);
        const set = new Set(start);
        for (const [add, n] of ops) {
          const v = `k${n.toString().padStart(5, '0')}`;
          if (add && !set.has(v)) {
            s.insert(v);
            set.add(v);
          } else if (!add && set.has(v)) {
            s.remove(v);
            set.delete(v);
          }
        }
        const want = [...set].sort();
        const got = s.toArray();
        if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error('content differs');
        if (s.size !== want.length) throw new Error('size differs');
        for (const c of s.chunks()) {
          if (c.items.length === 0) throw new Error('an empty chunk');
          if (c.items.length > MAX_CHUNK) throw new Error('a chunk over MAX_CHUNK');
        }
        return true;
      },
    ),
    { numRuns: 60 },
  );
  t.pass();
});

t.test('a change bumps the version of its chunk only', async (t) => {
  const s = SortedChunks.fromSorted(
    Array.from({ length: 5000 }, (_, i) => `k${String(i).padStart(5, '0')}`),
  );
  const before = s.chunks().map((c) => [c, c.version] as const);
  s.insert('k02500x');
  const changed = s.chunks().filter((c) => before.find(([b]) => b === c)?.[1] !== c.version);
  t.equal(changed.length, 1, 'one chunk changed');
  t.ok(changed[0]!.items.includes('k02500x'));
});
