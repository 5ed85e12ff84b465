import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NodeError, NodeErrorCode } from './errors.js';

export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * The hub's own known_hosts (OpenSSH format, plain host patterns). A known key is
 * accepted; an unknown key is refused unless trust-on-first-use is on, which records it;
 * a CHANGED key is always refused, loudly — that is what a man in the middle looks like.
 */
export class KnownHosts {
  constructor(
    readonly file: string,
    private readonly trustOnFirstUse: boolean,
  ) {}

  private entries(pattern: string): { type: string; key: Buffer }[] {
    if (!existsSync(this.file)) return [];
    const out: { type: string; key: Buffer }[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      const [hosts, type, b64] = line.trim().split(/\s+/);
      if (!hosts || hosts.startsWith('#') || !type || !b64) continue;
      if (hosts.split(',').includes(pattern)) out.push({ type, key: Buffer.from(b64, 'base64') });
    }
    return out;
  }

  /** Check a presented host key; returns the error to refuse with, or undefined to accept. */
  check(host: string, port: number, presented: Buffer): NodeError | undefined {
    const pattern = hostPattern(host, port);
    const known = this.entries(pattern);
    if (known.some((k) => k.key.equals(presented))) return undefined;
    if (known.length > 0) {
      return new NodeError(
        NodeErrorCode.HOST_KEY_CHANGED,
        `HOST KEY FOR ${pattern} HAS CHANGED: known ${known.map((k) => fingerprint(k.key)).join(', ')}, presented ${fingerprint(presented)}. ` +
          `Someone may be intercepting the connection, or the host was reinstalled. If you know why it changed, remove the line for ${pattern} from ${this.file} and connect again.`,
      );
    }
    if (!this.trustOnFirstUse) {
      return new NodeError(
        NodeErrorCode.HOST_KEY_UNKNOWN,
        `host key of ${pattern} (${fingerprint(presented)}) is not in ${this.file}. Add it (ssh-keyscan -p ${port} ${host} >> ${this.file}), or enable nodes.ssh.trustOnFirstUse.`,
      );
    }
    this.add(host, port, presented);
    return undefined;
  }

  add(host: string, port: number, key: Buffer): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const type = key.subarray(4, 4 + key.readUInt32BE(0)).toString();
    appendFileSync(this.file, `${hostPattern(host, port)} ${type} ${key.toString('base64')}\n`, {
      mode: 0o600,
    });
  }
}
