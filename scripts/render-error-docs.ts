/**
 * Rewrites the error tables in docs/protocol.md and docs/operations.md from
 * protocol/error-registry.ts. `npm run docs:errors` after adding or changing a code;
 * `--check` exits 1 (and changes nothing) when a doc is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { errorTables, replaceTable } from '../protocol/error-docs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const check = process.argv.includes('--check');
let stale = 0;
for (const doc of new Set(errorTables.map((t) => t.doc))) {
  const file = path.join(root, 'docs', doc);
  const before = readFileSync(file, 'utf8');
  let text = before;
  for (const table of errorTables.filter((t) => t.doc === doc)) text = replaceTable(text, table);
  const options = (await prettier.resolveConfig(file)) ?? {};
  text = await prettier.format(text, { ...options, filepath: file });
  if (text === before) continue;
  stale++;
  if (check) console.error(`${path.relative(root, file)}: error tables differ from the registry`);
  else {
    writeFileSync(file, text);
    console.log(`wrote ${path.relative(root, file)}`);
  }
}
if (check && stale) process.exit(1);
