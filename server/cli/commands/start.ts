import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config/index.js';
import { startHubProcess } from '../../runtime/hub-process.js';
import { errorRegistry } from '../../../protocol/error-registry.js';
import { CliError, ExitCode } from '../../support/exit-codes.js';

/** STORE_DIR_UNUSABLE, STORE_LOCKED, …: the codes the registry gives exit code DATA_DIR. */
const DATA_DIR_ERRORS = new Set<string>(
  errorRegistry
    .filter((e) => 'exitCode' in e && e.exitCode === ExitCode.DATA_DIR)
    .map((e) => e.code),
);

export interface ConfigFlags {
  config?: string;
  preset?: string;
  port?: number;
  httpPort?: number;
  host?: string;
  dataDir?: string;
  transport?: string;
  store?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  redisUrl?: string;
}

/** CLI flags → the config loader's override layer (the highest precedence). */
export function flagOverrides(flags: ConfigFlags): Record<string, unknown> {
  const server: Record<string, unknown> = {};
  if (flags.port !== undefined) server.wsPort = flags.port;
  if (flags.httpPort !== undefined) server.httpPort = flags.httpPort;
  if (flags.host !== undefined) server.host = flags.host;
  if (flags.transport !== undefined) server.transport = flags.transport;
  const tls: Record<string, unknown> = {};
  if (flags.tlsCert !== undefined) tls.certFile = flags.tlsCert;
  if (flags.tlsKey !== undefined) tls.keyFile = flags.tlsKey;
  if (flags.tlsCa !== undefined) tls.caFile = flags.tlsCa;
  if (Object.keys(tls).length) server.tls = tls;
  const store: Record<string, unknown> = {};
  if (flags.dataDir !== undefined) store.dataDir = flags.dataDir;
  if (flags.store !== undefined) store.mode = flags.store;
  const out: Record<string, unknown> = {};
  if (flags.redisUrl !== undefined) out.redis = { url: flags.redisUrl };
  if (Object.keys(server).length) out.server = server;
  if (Object.keys(store).length) out.store = store;
  return out;
}

export function loadFromFlags(flags: ConfigFlags): ReturnType<typeof loadConfig> {
  try {
    return loadConfig({
      ...(flags.config ? { file: flags.config } : {}),
      ...(flags.preset ? { preset: flags.preset as 'development' } : {}),
      overrides: flagOverrides(flags),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, ExitCode.USAGE);
    throw err;
  }
}

export function withConfigFlags(cmd: Command): Command {
  return cmd
    .option(
      '-c, --config <file>',
      'YAML config file (default ./switchboard.yaml, then /etc/switchboard/switchboard.yaml)',
    )
    .option(
      '--preset <name>',
      'development | production | throughput | high-availability (default production)',
    )
    .option(
      '--redis-url <url>',
      'join the cluster of hubs sharing this Redis (env SWITCHBOARD_REDIS_URL)',
    )
    .option('-p, --port <n>', 'WebSocket port (default 9501)', Number)
    .option('--http-port <n>', 'HTTP side port (default 9500)', Number)
    .option('--host <addr>', 'address to bind')
    .option('-d, --data-dir <dir>', 'data directory (default ./data)')
    .option('--store <mode>', 'memory | snapshot | wal')
    .option('--transport <kind>', 'auto | uws | ws')
    .option(
      '--tls-cert <file>',
      'PEM certificate (chain): serve wss:// and https:// (env SWITCHBOARD_TLS_CERT)',
    )
    .option('--tls-key <file>', 'PEM private key of --tls-cert (env SWITCHBOARD_TLS_KEY)')
    .option(
      '--tls-ca <file>',
      'PEM CA: clients must present a certificate it signed (mutual TLS; env SWITCHBOARD_TLS_CA)',
    );
}

export function registerStart(program: Command): void {
  withConfigFlags(
    program
      .command('start')
      .description('start the hub (durable production preset unless told otherwise)'),
  )
    .option(
      '--repair',
      'keep the valid prefix of a corrupt write-ahead log and move the rest aside',
    )
    .action(async (flags: ConfigFlags & { repair?: boolean }) => {
      const { config } = loadFromFlags(flags);
      try {
        if (config.redis.url || config.redis.sentinels) {
          // Loaded only here: a hub on the embedded store never loads ioredis.
          const { startClusterMember } = await import('../../runtime/cluster-process.js');
          await startClusterMember(config, { handleSignals: true });
        } else
          await startHubProcess(config, { repair: flags.repair ?? false, handleSignals: true });
      } catch (err) {
        const e = err as Error & { code?: string };
        // STORE_LOCKED, STORE_CORRUPT, EADDRINUSE…: the code and a message that says what to do.
        throw new CliError(
          `cannot start: ${e.code ? `${e.code}: ` : ''}${e.message}`,
          e.code !== undefined && DATA_DIR_ERRORS.has(e.code) ? ExitCode.DATA_DIR : ExitCode.FAILED,
        );
      }
    });
}
