/**
 * Bundles ui/ into dist/ui (run by `npm run build` after tsc): one script and one stylesheet
 * with content hashes in their names, and an index.html naming them. The hub serves these
 * files (server/http/ui-routes.ts); nothing is fetched from a CDN.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { UI_BASE_PLACEHOLDER } from '../server/http/ui-routes.js';

export async function buildUi(
  root: string,
  outDir = path.join(root, 'dist', 'ui'),
): Promise<{ files: { name: string; bytes: number; gzipBytes: number }[] }> {
  rmSync(outDir, { recursive: true, force: true });
  const assets = path.join(outDir, 'assets');
  mkdirSync(assets, { recursive: true });
  const result = await build({
    entryPoints: [path.join(root, 'ui', 'main.tsx'), path.join(root, 'ui', 'styles.css')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir: assets,
    metafile: true,
    logLevel: 'warning',
  });
  const out = Object.keys(result.metafile.outputs).map((f) => path.basename(f));
  const js = out.find((f) => f.endsWith('.js'))!;
  const css = out.find((f) => f.endsWith('.css'))!;
  const b = UI_BASE_PLACEHOLDER;
  writeFileSync(
    path.join(outDir, 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Switchboard</title><link rel="stylesheet" href="${b}/assets/${css}"></head><body><div id="app"></div><script type="module" src="${b}/assets/${js}"></script></body></html>\n`,
  );
  const files = readdirSync(assets).map((name) => {
    const raw = readFileSync(path.join(assets, name));
    return { name, bytes: statSync(path.join(assets, name)).size, gzipBytes: gzipSync(raw).length };
  });
  return { files };
}

if (process.argv[1] && path.basename(process.argv[1]).startsWith('build-ui')) {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
  const { files } = await buildUi(root);
  for (const f of files)
    console.log(`dist/ui/assets/${f.name}: ${f.bytes} B, ${f.gzipBytes} B gzip`);
}
