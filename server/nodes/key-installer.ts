import { lazyRequire } from '../support/lazy-require.js';

const ssh2 = lazyRequire<typeof import('ssh2')>('ssh2');
import { NodeError, NodeErrorCode } from './errors.js';
import type { KnownHosts } from './known-hosts.js';
import type { SshTarget } from './ssh-pool.js';

/** Appends the key only if that exact line is absent, so installing twice changes nothing. */
const INSTALL = `f=$1; k=$2
[ -n "$f" ] || f="$HOME/.ssh/authorized_keys"
d=$(dirname "$f")
mkdir -p "$d" && chmod 700 "$d" && touch "$f" && chmod 600 "$f" || exit 1
if grep -qxF "$k" "$f"; then echo present; else printf '%s\\n' "$k" >>"$f" && echo installed; fi`;

export interface InstallCredentials {
  /** A one-time password for the account… */
  password?: string;
  /** …or a private key that is already authorised there. */
  privateKey?: string;
}

/**
 * Put the hub's public key into the node's authorized_keys, using credentials the operator
 * gives once (they are used for this connection only and never stored or logged).
 */
export function installHubKey(
  target: SshTarget,
  publicKey: string,
  credentials: InstallCredentials,
  knownHosts: KnownHosts,
  options: { authorizedKeysFile?: string; timeoutMs?: number } = {},
): Promise<'installed' | 'present'> {
  return new Promise((resolve, reject) => {
    const client = new (ssh2().Client)();
    let hostKeyError: NodeError | undefined;
    client.once('ready', () => {
      const cmd = [
        'sh',
        '-c',
        INSTALL,
        'switchboard',
        options.authorizedKeysFile ?? '',
        publicKey.trim(),
      ]
        .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
        .join(' ');
      client.exec(cmd, (err, stream) => {
        if (err) {
          client.end();
          reject(
            new NodeError(
              NodeErrorCode.NODE_UNREACHABLE,
              `could not open a session: ${err.message}`,
            ),
          );
          return;
        }
        let out = '';
        let errOut = '';
        stream.on('data', (d: Buffer) => (out += d.toString()));
        stream.stderr.on('data', (d: Buffer) => (errOut += d.toString()));
        stream.on('close', (code: number) => {
          client.end();
          if (code === 0 && /present|installed/.test(out))
            resolve(out.includes('present') ? 'present' : 'installed');
          else
            reject(
              new Error(`installing the key failed (exit ${code}): ${errOut.trim() || out.trim()}`),
            );
        });
      });
    });
    client.on('error', (err: Error & { level?: string }) => {
      reject(
        hostKeyError ??
          (err.level === 'client-authentication'
            ? new NodeError(
                NodeErrorCode.AUTH_FAILED,
                `${target.username}@${target.host} refused the given credentials`,
              )
            : new NodeError(NodeErrorCode.NODE_UNREACHABLE, err.message)),
      );
    });
    client.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      ...(credentials.password !== undefined ? { password: credentials.password } : {}),
      ...(credentials.privateKey !== undefined ? { privateKey: credentials.privateKey } : {}),
      readyTimeout: options.timeoutMs ?? 10_000,
      hostVerifier: (key: Buffer) => {
        hostKeyError = knownHosts.check(target.host, target.port, key);
        return hostKeyError === undefined;
      },
    });
  });
}
