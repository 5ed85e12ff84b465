import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { TlsClientOptions } from '../../client/hub-fetch.js';
import { mintToken } from '../auth/index.js';
import { CliError, ExitCode } from '../support/exit-codes.js';
import { hubUrlsOf, type HubTarget } from './hub-client.js';

/** What a command that talks to a running hub may be told about where and how. */
export interface TargetFlags {
  url?: string;
  token?: string;
  dataDir?: string;
  ca?: string;
  clientCert?: string;
  clientKey?: string;
}

/** --url, --token, --json, --data-dir and the TLS flags: how a command reaches its hub. */
export function withHubTargetFlags(cmd: Command, tokenHelp: string): Command {
  return withTlsClientFlags(
    cmd
      .option(
        '--url <url>',
        'HTTP side port of the hub; several hubs of one cluster comma-separated (env SWITCHBOARD_URL)',
      )
      .option('--token <jwt>', `${tokenHelp} (env SWITCHBOARD_TOKEN)`)
      .option('--json', 'print JSON for scripts')
      .option(
        '-d, --data-dir <dir>',
        'on the hub machine: mint a short-lived admin token from this data dir',
      ),
  );
}

/** --ca, --client-cert, --client-key: for a hub with server.tls (https://). */
export function withTlsClientFlags(cmd: Command): Command {
  return cmd
    .option(
      '--ca <file>',
      'PEM CA that signed the hub certificate, for https:// (env SWITCHBOARD_CA)',
    )
    .option(
      '--client-cert <file>',
      'PEM client certificate, for a hub with mutual TLS (env SWITCHBOARD_CLIENT_CERT)',
    )
    .option('--client-key <file>', 'PEM key of --client-cert (env SWITCHBOARD_CLIENT_KEY)');
}

function readFlagFile(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CliError(
      `cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      ExitCode.USAGE,
    );
  }
}

/** The TLS files named by flags or the environment, read; undefined when none is named. */
export function resolveTls(opts: TargetFlags): TlsClientOptions | undefined {
  const ca = opts.ca ?? process.env.SWITCHBOARD_CA;
  const cert = opts.clientCert ?? process.env.SWITCHBOARD_CLIENT_CERT;
  const key = opts.clientKey ?? process.env.SWITCHBOARD_CLIENT_KEY;
  if (!ca && !cert && !key) return undefined;
  if (Boolean(cert) !== Boolean(key)) {
    throw new CliError('--client-cert and --client-key go together', ExitCode.USAGE);
  }
  return {
    ...(ca ? { ca: readFlagFile('--ca', ca) } : {}),
    ...(cert ? { cert: readFlagFile('--client-cert', cert) } : {}),
    ...(key ? { key: readFlagFile('--client-key', key) } : {}),
  };
}

/**
 * Where the CLI finds a hub and a token: flags, then SWITCHBOARD_URL / SWITCHBOARD_TOKEN,
 * (either may list several hubs of one cluster, comma-separated: tried in turn),
 * then — on the hub's own machine — a short-lived admin token minted from the secret in the
 * data dir, so `switchboard status` works right after `switchboard start`.
 */
export async function resolveTarget(opts: TargetFlags): Promise<HubTarget> {
  const hubs =
    opts.url !== undefined
      ? hubUrlsOf(opts.url, '--url')
      : process.env.SWITCHBOARD_URL
        ? hubUrlsOf(process.env.SWITCHBOARD_URL, 'SWITCHBOARD_URL')
        : hubUrlsOf('http://127.0.0.1:9500');
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
  const tls = resolveTls(opts);
  return { hubs, token, ...(tls ? { tls } : {}) };
}
