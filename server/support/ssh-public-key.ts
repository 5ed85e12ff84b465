import { createHash } from 'node:crypto';
import { lazyRequire } from './lazy-require.js';

const ssh2 = lazyRequire<typeof import('ssh2')>('ssh2');

export interface ParsedPublicKey {
  /** `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, … */
  type: string;
  /** The line as OpenSSH writes it: type, base64 blob and comment, normalised. */
  line: string;
  /** `SHA256:` and the unpadded base64 of the blob's SHA-256, as `ssh-keygen -l` prints. */
  fingerprint: string;
}

/** Key types OpenSSH still accepts by default (DSA is off since 7.0 and gone in 9.8). */
const ACCEPTED =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/**
 * Parse one OpenSSH public key line, or say why it is none (the reason is for a 400 that
 * names the field). A private key is refused without echoing any of it: it must never be
 * sent to the hub, let alone kept or logged.
 */
export function parseSshPublicKey(text: string): ParsedPublicKey | { error: string } {
  const line = text.trim();
  if (line.includes('PRIVATE KEY'))
    return {
      error: 'this is a private key; send the public one (the .pub file) and keep this secret',
    };
  if (/[\r\n]/.test(line)) return { error: 'must be one line (one key)' };
  const parsed = ssh2().utils.parseKey(line);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error)
    return { error: `not an OpenSSH public key (${key ? key.message : 'empty'})` };
  if (key.isPrivateKey())
    return {
      error: 'this is a private key; send the public one (the .pub file) and keep this secret',
    };
  if (!ACCEPTED.test(key.type)) return { error: `key type ${key.type} is not accepted by OpenSSH` };
  const blob = key.getPublicSSH();
  const digest = createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
  const comment = key.comment ? ` ${key.comment}` : '';
  return {
    type: key.type,
    line: `${key.type} ${blob.toString('base64')}${comment}`,
    fingerprint: `SHA256:${digest}`,
  };
}
