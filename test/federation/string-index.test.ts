import t from 'tap';
import fc from 'fast-check';
import { StringIndex } from '../../server/core/string-index.js';

/**
 * The fact table's string → id index against a Map, through any adds and deletes: deletion
 * shifts probe chains back, so a wrong shift shows as a key that can no longer be found (or
 * one found after it went). Small key spaces make long chains and wrap-around common.
 */
t.test('the string index agrees with a Map through any adds and deletes', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 4, max: 40 }),
      // The hash is seeded once per process: a salt per run gives each run its own layout.
      fc.integer({ min: 0, max: 2 ** 30 }),
      fc.array(fc.tuple(fc.boolean(), fc.nat()), { minLength: 50, maxLength: 1000, size: 'max' }),
      (space, salt, ops) => {
        const keys: (string | undefined)[] = [];
        const free: number[] = [];
        const index = new StringIndex(keys, 4);
        const map = new Map<string, number>();
        for (const [add, m] of ops) {
          const n = m % space;
          // Fresh string objects each time, as JSON.parse makes them.
          const key = JSON.parse(JSON.stringify(`fact-${salt}-${n}`)) as string;
          if (add && !map.has(key)) {
            const id = free.pop() ?? keys.length;
            keys[id] = key;
            index.add(key, id);
            map.set(key, id);
          } else if (!add && map.has(key)) {
            index.delete(key);
            const id = map.get(key)!;
            keys[id] = undefined;
            free.push(id);
            map.delete(key);
          }
          if (index.size !== map.size) throw new Error('size differs');
          for (let k = 0; k < space; k++) {
            const probe = `fact-${salt}-${k}`;
            if (index.get(probe) !== (map.get(probe) ?? -1)) throw new Error(`${probe} differs`);
          }
        }
      },
    ),
    { numRuns: 200 },
  );
  t.pass('200 random histories agree');
});

t.test('keys that differ only late, or only in length, stay apart', async (t) => {
  const keys: string[] = [];
  const index = new StringIndex(keys);
  const base = 'a'.repeat(63);
  const all = [base, `${base}b`, `${base}c`, `${base}bb`, '', 'a'];
  all.forEach((k, id) => {
    keys[id] = k;
    index.add(k, id);
  });
  t.same(
    all.map((k) => index.get(k)),
    [0, 1, 2, 3, 4, 5],
  );
  t.equal(index.get(`${base}d`), -1, 'an absent key is not found');
  index.delete(`${base}b`);
  t.equal(index.get(`${base}b`), -1, 'a deleted key is gone');
  t.equal(index.get(`${base}bb`), 3, 'its neighbours stay');
});
