import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The JWT signing secret in `<dataDir>/secret`, created (mode 0600, 48 random bytes) on the
 * first start outside development, so a new user is never stuck and nothing is open.
 */
export function loadOrCreateSecret(dataDir: string): {
  secret: string;
  created: boolean;
  file: string;
} {
  const file = path.join(dataDir, 'secret');
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), created: false, file };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  // 'wx': never overwrite a secret another process just created.
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, created: true, file };
}
