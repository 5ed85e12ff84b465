import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS dependency loaded on first use. The hub process pays for ssh2, ws, yaml and
 * pino-pretty (~9 MB RSS together, measured) only when it manages a node, falls back to the
 * ws transport, reads a config file or pretty-prints logs; most hubs do none of these.
 */
export function lazyRequire<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= require(id) as T);
}
