import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lazyRequire } from '../support/lazy-require.js';
import { NodeError, NodeErrorCode } from './errors.js';

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
  const pair = generateEd25519KeyPair();
  writeFileSync(file, pair.private, { mode: 0o600, flag: 'wx' });
  writeFileSync(`${file}.pub`, `${pair.public}\n`, { mode: 0o644 });
  return { privateKey: pair.private, publicKey: pair.public.trim(), file };
}

/**
 * ssh2's generator writes an OpenSSH private key that its own parser rejects about 3 times
 * in 1,000 ("Malformed OpenSSH private key", measured over 3,000 keys); a hub that kept
 * such a key could never reach a node. Generate until the key reads back.
 */
export function generateEd25519KeyPair(): { private: string; public: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = ssh2().utils.generateKeyPairSync('ed25519', { comment: 'switchboard-hub' });
    if (!(ssh2().utils.parseKey(pair.private) instanceof Error)) return pair;
  }
  throw new Error('could not generate a readable ed25519 key in 20 attempts');
}

/** A node key's name: a plain file name in `nodes.ssh.keysDir`, never a path. */
export const NODE_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * A node's own private key, by name, from `keysDir` (the operator puts it there; the hub
 * state holds only the name, so the key is in no log, snapshot, Redis or API answer). Like
 * OpenSSH, a key others may read is refused. Errors name the file, never its content.
 */
export function loadNodeKey(keysDir: string, name: string): string {
  if (!NODE_KEY_NAME.test(name) || name.includes('..'))
    throw new NodeError(NodeErrorCode.INVALID_ARGUMENT, `node key name ${name} is not a file name`);
  const file = path.join(keysDir, name);
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    throw new NodeError(
      NodeErrorCode.AUTH_FAILED,
      `node key ${name} is not in ${keysDir} (nodes.ssh.keysDir)`,
    );
  }
  if ((mode & 0o077) !== 0)
    throw new NodeError(
      NodeErrorCode.AUTH_FAILED,
      `node key ${file} may be read by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
    );
  const privateKey = readFileSync(file, 'utf8');
  const parsed = ssh2().utils.parseKey(privateKey);
  if (parsed instanceof Error)
    throw new NodeError(
      NodeErrorCode.AUTH_FAILED,
      `node key ${file} is not a usable private key (${parsed.message})`,
    );
  return privateKey;
}
