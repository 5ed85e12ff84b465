import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lazyRequire } from '../runtime/lazy-require.js';

const ssh2 = lazyRequire<typeof import('ssh2')>('ssh2');

export interface HubKeyPair {
  privateKey: string;
  /** OpenSSH one-line public key, e.g. "ssh-ed25519 AAAA… switchboard-hub" */
  publicKey: string;
  file: string;
}

/**
 * The hub's own SSH identity: ed25519, generated on first use into <dataDir>/ssh
 * (dir 0700, key 0600). Never ~/.ssh: the hub is its own principal, and an operator's
 * keys are not the hub's to use — unless `keyFile` names one explicitly.
 */
export function loadOrCreateHubKey(dataDir: string, keyFile?: string): HubKeyPair {
  const file = keyFile ?? path.join(dataDir, 'ssh', 'id_ed25519');
  if (existsSync(file)) {
    const privateKey = readFileSync(file, 'utf8');
    const parsed = ssh2().utils.parseKey(privateKey);
    if (parsed instanceof Error) throw new Error(`cannot read SSH key ${file}: ${parsed.message}`);
    const key = Array.isArray(parsed) ? parsed[0]! : parsed;
    const publicKey = `${key.type} ${key.getPublicSSH().toString('base64')} switchboard-hub`;
    return { privateKey, publicKey, file };
  }
  if (keyFile) throw new Error(`SSH key ${keyFile} (from the config) does not exist`);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(path.dirname(file), 0o700);
  const pair = ssh2().utils.generateKeyPairSync('ed25519', { comment: 'switchboard-hub' });
  writeFileSync(file, pair.private, { mode: 0o600, flag: 'wx' });
  writeFileSync(`${file}.pub`, `${pair.public}\n`, { mode: 0o644 });
  return { privateKey: pair.private, publicKey: pair.public.trim(), file };
}
