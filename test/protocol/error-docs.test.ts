import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  errorTables,
  parseTable,
  replaceTable,
  tableBlock,
  tableOf,
  tableRows,
} from '../../protocol/error-docs.js';
import { errorRegistry } from '../../protocol/index.js';

const read = (doc: string): string =>
  readFileSync(new URL(`../../docs/${doc}`, import.meta.url), 'utf8');

t.test('the error tables in the docs are the registry (npm run docs:errors)', async (t) => {
  for (const table of errorTables) {
    const block = tableBlock(read(table.doc), table.name);
    t.ok(block !== undefined, `${table.doc} has the ${table.name} table markers`);
    t.same(
      parseTable(block ?? ''),
      tableRows(table),
      `${table.doc} ${table.name} table matches protocol/error-registry.ts; run npm run docs:errors`,
    );
  }
});

t.test('every code is in exactly one table', async (t) => {
  const listed = errorTables.flatMap((table) =>
    tableRows(table)
      .slice(1)
      .map((r) => r[0]),
  );
  t.same(
    listed.sort(),
    errorRegistry.map((e) => `\`${e.code}\``).sort(),
    'each registry code once across the tables',
  );
  t.equal(tableOf(errorRegistry.find((e) => e.code === 'STORE_FULL')!), 'wire');
  t.equal(tableOf(errorRegistry.find((e) => e.code === 'STORE_LOCKED')!), 'ops');
});

t.test('the check sees a drifted doc', async (t) => {
  const table = errorTables[0]!;
  const doc = read(table.doc);
  const rows = tableRows(table);
  // A doc whose fix was edited by hand, or that lost a row, no longer matches.
  const fresh = replaceTable(doc, table);
  t.same(parseTable(tableBlock(fresh, table.name)!), rows, 'a re-rendered doc matches');
  const edited = fresh.replace(rows[1]![4]!, 'something else');
  t.notSame(parseTable(tableBlock(edited, table.name)!), rows, 'a hand-edited cell is caught');
  const short = replaceTable(doc, table).replace(/\n\| `MALFORMED_REQUEST`[^\n]*/, '');
  t.notSame(parseTable(tableBlock(short, table.name)!), rows, 'a missing row is caught');
  t.same(parseTable('| a \\| b | c |\n| --- | --- |\n| x | y |'), [
    ['a | b', 'c'],
    ['x', 'y'],
  ]);
});
