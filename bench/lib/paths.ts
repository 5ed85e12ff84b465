import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** dist/bench/ — compiled bench scripts live here (this file is dist/bench/lib/paths.js). */
export const BENCH_DIST = fileURLToPath(new URL('..', import.meta.url));

/** The repository root (dist/bench/lib/ → ../../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Absolute path of a compiled bench script, e.g. benchScript('loadgen/bullmq.js'). */
export function benchScript(relative: string): string {
  return join(BENCH_DIST, relative);
}
