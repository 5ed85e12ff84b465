import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mintToken } from '../auth/index.js';
import type { HubTarget } from './hub-client.js';

/**
 * Where the CLI finds a hub and a token: flags, then SWITCHBOARD_URL / SWITCHBOARD_TOKEN,
 * then — on the hub's own machine — a short-lived admin token minted from the secret in the
 * data dir, so `switchboard status` works right after `switchboard start`.
 */
export async function resolveTarget(opts: {
  url?: string;
  token?: string;
  dataDir?: string;
}): Promise<HubTarget> {
  const url = opts.url ?? process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:9500';
  let token = opts.token ?? process.env.SWITCHBOARD_TOKEN;
  if (!token) {
    const dir = opts.dataDir ?? process.env.SWITCHBOARD_DATA_DIR ?? './data';
    const file = path.join(dir, 'secret');
    if (existsSync(file)) {
      try {
        token = await mintToken(readFileSync(file, 'utf8').trim(), {
          role: 'admin',
          subject: 'cli',
          ttl: '5m',
        });
      } catch {
        // unreadable secret: go on without a token; the hub will say 401 if it needs one
      }
    }
  }
  return { url, token };
}
