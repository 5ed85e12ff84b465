/**
 * Bundles the SDK (the package's entry: Worker, Producer, errors, protocol names) for
 * browsers: one ES module, dist/browser/switchboard.js, with esbuild. Node-only code is
 * reached only through dynamic imports that a browser never runs (`ws` and node:http(s)
 * when the runtime runs Node packages, or TLS options are given): they stay external.
 * test/client/browser-bundle.test.ts holds the bundle to that, and runs it in Chromium.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

export interface ClientBundle {
  file: string;
  bytes: number;
  gzipBytes: number;
  metafile: Metafile;
}

export async function buildClientBundle(
  root: string,
  outFile = path.join(root, 'dist', 'browser', 'switchboard.js'),
): Promise<ClientBundle> {
  mkdirSync(path.dirname(outFile), { recursive: true });
  const result = await build({
    entryPoints: [path.join(root, 'index.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: outFile,
    // Reached only by dynamic import(), in Node: never loaded by a browser.
    external: ['ws', 'node:*'],
    metafile: true,
    logLevel: 'warning',
  });
  const raw = readFileSync(outFile);
  return {
    file: outFile,
    bytes: raw.length,
    gzipBytes: gzipSync(raw).length,
    metafile: result.metafile,
  };
}

if (process.argv[1] && path.basename(process.argv[1]).startsWith('build-client-bundle')) {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
  const b = await buildClientBundle(root);
  console.log(`${path.relative(root, b.file)}: ${b.bytes} B, ${b.gzipBytes} B gzip`);
}
