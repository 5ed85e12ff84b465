import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';

/**
 * Load the native uWebSockets.js binary for this Node ABI directly: the package's own loader
 * silently substitutes a slow JS imitation when the binary is missing, which would make the
 * "physical limit" meaningless. Throws when the binary cannot load.
 */
export function loadUws(): typeof Uws {
  const require = createRequire(import.meta.url);
  const dir = require.resolve('uWebSockets.js/package.json').replace(/package\.json$/, '');
  const name = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  return require(`${dir}binaries/${name}`) as typeof Uws;
}
