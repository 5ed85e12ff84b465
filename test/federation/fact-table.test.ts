import t from 'tap';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { FactTable } from '../../server/core/fact-table.js';

/**
 * The fact table against a model (hash → how many summaries hold it) through any pushes and
 * releases. Lowercase SHA-256 hex takes the table's byte-compare path; everything else
 * (uppercase hex, a hex string one character short, plain names) the string path; a wrong
 * probe chain after a delete shows as a hash that is held twice or lost. Small key spaces
 * make long chains and wrap-around common; the salt gives each run its own table layout.
 */
function key(salt: number, n: number): string {
  const hex = createHash('sha256').update(`${salt}/${n}`).digest('hex');
  switch (n % 4) {
    case 0:
    case 1:
      return hex;
    case 2:
      return n % 8 === 2 ? hex.toUpperCase() : hex.slice(1);
    default:
      return `fact-${salt}-${n}`;
  }
}

t.test('the fact table agrees with a model through any acquires and releases', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 4, max: 40 }),
      fc.integer({ min: 0, max: 2 ** 30 }),
      fc.array(fc.array(fc.nat(), { maxLength: 16, size: 'max' }), {
        minLength: 20,
        maxLength: 200,
        size: 'max',
      }),
      (space, salt, pushes) => {
        const table = new FactTable();
        const held = new Map<string, number>();
        const summaries: { ids: Uint32Array; hashes: Set<string> }[] = [];
        for (const [i, picks] of pushes.entries()) {
          // Every third step lets an earlier summary go instead of pushing a new one.
          if (i % 3 === 2 && summaries.length > 0) {
            const gone = summaries.splice(picks.length % summaries.length, 1)[0]!;
            table.release(gone.ids);
            for (const h of gone.hashes) {
              const n = held.get(h)! - 1;
              if (n === 0) held.delete(h);
              else held.set(h, n);
            }
          } else {
            // Fresh strings, as JSON.parse makes them; repeats within one summary count once.
            const hashes = JSON.parse(
              JSON.stringify(picks.map((p) => key(salt, p % space))),
            ) as string[];
            const ids = table.acquire(hashes);
            const distinct = new Set(hashes);
            if (ids.length !== distinct.size) throw new Error('a repeat counted twice');
            const named = new Set([...ids].map((id) => table.hashOf(id)));
            if (named.size !== distinct.size || [...distinct].some((h) => !named.has(h)))
              throw new Error('ids name other hashes');
            for (const h of distinct) held.set(h, (held.get(h) ?? 0) + 1);
            summaries.push({ ids, hashes: distinct });
          }
          if (table.size !== held.size) throw new Error(`size ${table.size}, model ${held.size}`);
          const sorted: string[] = [];
          for (const c of table.sorted().chunks()) sorted.push(...c.items);
          if (sorted.join() !== [...held.keys()].sort().join())
            throw new Error('sorted list differs');
        }
      },
    ),
    { numRuns: 150 },
  );
  t.pass('150 random histories agree');
});

t.test('a hash pushed again by another agent is the same id; after restore too', async (t) => {
  const a = createHash('sha256').update('a').digest('hex');
  const table = new FactTable();
  const first = table.acquire([a, 'note', a.toUpperCase()]);
  const second = table.acquire([JSON.parse(JSON.stringify(a)) as string, 'note']);
  t.equal(first.length, 3, 'lowercase and uppercase hex are two hashes');
  t.same([...second], [first[0], first[1]]);
  const restored = new FactTable();
  restored.restore(table.snapshot());
  restored.hold(first);
  restored.hold(second);
  restored.settle();
  t.equal(restored.size, 3);
  t.same([...restored.acquire([a, a.toUpperCase(), 'note'])], [first[0], first[2], first[1]]);
  t.equal(restored.size, 3, 'nothing new after restore');
  const last = a.slice(0, 63) + (a[63] === '0' ? '1' : '0');
  t.equal(restored.acquire([last]).length, 1);
  t.equal(restored.size, 4, 'hex hashes that differ only in the last digit are two');
});
