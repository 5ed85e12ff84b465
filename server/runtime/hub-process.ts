import { CloseCode } from '../../protocol/index.js';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import type { Logger } from 'pino';
import {
  appendRecord,
  issueToken,
  mintedFile,
  readRevocationRequests,
  revocationsFile,
  toMintedRecord,
} from '../auth/index.js';
import { ensureDataDir } from '../store/data-dir.js';
import {
  loadOrCreateSecret,
  queueLimitsOf,
  type HubConfig,
  type QueuesConfig,
} from '../config/index.js';
import { HttpServer } from '../http/http-server.js';
import { allRoutes } from '../http/routes/index.js';
import { uiRoutes } from '../http/ui-routes.js';
import type { Route } from '../http/router.js';
import type { ClusterSource } from '../gateway/cluster-operations.js';
import { Hub } from '../hub/hub.js';
import {
  installHubKey,
  KnownHosts,
  loadNodeKey,
  loadOrCreateHubKey,
  NodeService,
  SshPool,
  SshRunner,
  targetOf,
} from '../nodes/index.js';
import { ExitCode } from '../support/exit-codes.js';
import { createStore, type Recovered, type Store } from '../store/index.js';
import type { SocketHandlers, SocketServer } from '../transport/socket-server.js';
import { TlsSource } from '../transport/tls-options.js';
import { FAIL_FSYNC_ENV, walFileOpsFromEnv } from '../store/test-faults.js';
import { coreOptionsFrom } from './core-options.js';
import { createLogger } from './logger.js';
import { VERSION } from './version.js';

export interface RunningHub {
  hub: Hub;
  http: HttpServer;
  store: Store;
  log: Logger;
  /** Graceful stop: drain, flush the store, close ports. */
  stop(reason: string): Promise<void>;
  /**
   * Stop at once, with no drain and nothing more written: another hub leads now. Closes
   * every connection with `code` and both ports; the store is left to its owner.
   */
  abandon(code: number, reason: string): Promise<void>;
}

export interface StartOptions {
  /** Keep the valid prefix of a corrupt WAL and move the rest aside. */
  repair?: boolean;
  /** Install SIGTERM/SIGINT (stop) and SIGHUP (reload TLS) handlers (the CLI does; tests embedding a hub do not). */
  handleSignals?: boolean;
  /**
   * The cluster (runtime/cluster-process.ts) leads with a store it already opened (the open
   * took the cluster's lease), a relay beside the WebSocket port, and its own answer to a
   * store failure (step down, not exit). Its logger, too, so one process logs as one.
   */
  cluster?: {
    store: Store;
    recovered: Recovered;
    transports: ((handlers: SocketHandlers) => SocketServer)[];
    onStoreFatal: (err: Error) => void;
    log: Logger;
    hubId: string;
    /** Lists the cluster's hubs for GET /api/v1/cluster (server/cluster/cluster-members.ts). */
    members?: ClusterSource;
  };
}

/**
 * Start a hub from a validated config: secret, store (recovery first), hub, HTTP side port.
 * The HTTP port opens first so /ready can say "recovering" while the log replays.
 */
export async function startHubProcess(
  config: HubConfig,
  options: StartOptions = {},
): Promise<RunningHub> {
  const cluster = options.cluster;
  const log = cluster?.log ?? createLogger({ level: config.log.level, pretty: config.log.pretty });
  // A failed fsync may have dropped dirty pages, and a failed append leaves memory ahead of
  // the log: retrying could report durable what is not. Stop, and let recovery (which
  // trusts only checksummed records) take over.
  const stopOnStoreFailure =
    cluster?.onStoreFatal ??
    ((err: Error): never => {
      const code = (err as { code?: string }).code;
      log.fatal({ code }, `stopping the hub to protect acknowledged data: ${err.message}`);
      process.exit(ExitCode.STORE_FAILED);
    });
  const dataDir = path.resolve(config.store.dataDir);
  const ownSecret = config.auth.enabled && !config.auth.secret && !config.auth.secretFile;
  // Before anything writes there (the secret, the lock, the log), and before a port opens:
  // a read-only or foreign dir is one line and exit code DATA_DIR, not a stack trace later.
  if (config.store.mode !== 'memory' || ownSecret) ensureDataDir(dataDir);
  // Checked before anything opens: a bad file is a start error naming the setting.
  const tls = config.server.tls ? TlsSource.load(config.server.tls) : undefined;
  if (tls) logCertificate(log, tls, 'TLS on: wss:// and https://');

  let secret: string | undefined;
  if (config.auth.enabled) {
    if (config.auth.secret) secret = config.auth.secret;
    else if (config.auth.secretFile) secret = readFileSync(config.auth.secretFile, 'utf8').trim();
    else {
      const created = loadOrCreateSecret(dataDir);
      secret = created.secret;
      if (created.created) {
        const minted = await issueToken(secret, { role: 'admin', subject: 'first-run' });
        const admin = minted.token;
        // Listed by `switchboard token list` like any minted token, so it can be revoked by id.
        appendRecord(mintedFile(dataDir), toMintedRecord(minted));
        // Printed once, to the terminal of whoever started the hub the first time; never logged.
        process.stderr.write(
          [
            '',
            `  Switchboard created a signing secret in ${path.join(dataDir, 'secret')} (mode 0600).`,
            '  Admin token (keep it safe; it does not expire):',
            '',
            `    ${admin}`,
            '',
            '  Mint more with:  switchboard token create --role worker --queues emails --ttl 30d',
            '',
          ].join('\n'),
        );
      }
    }
  } else {
    log.warn(
      'AUTHENTICATION IS OFF (development preset): anyone who can reach these ports can submit, run and manage tasks',
    );
  }
  if ((config.redis.url || config.redis.sentinels) && !cluster) {
    // Said at start, not silently ignored: an operator who set it expects shared state.
    log.warn(
      "redis.url is set, but this version has no Redis engine: state stays in this hub's own store (%s); hubs do not share queues",
      config.store.mode,
    );
  }

  const coreOptions = coreOptionsFrom(config);
  const fileOps = walFileOpsFromEnv(process.env);
  if (fileOps) {
    log.warn(
      { setting: FAIL_FSYNC_ENV, value: process.env[FAIL_FSYNC_ENV] },
      'TEST FAULT INJECTION IS ON: the write-ahead log will report a failed fsync; never set this outside tests',
    );
  }
  const store: Store =
    cluster?.store ??
    createStore({
      mode: config.store.mode,
      replayOptions: coreOptions,
      dataDir,
      fsync: config.store.fsync,
      fsyncIntervalMs: config.store.fsyncIntervalMs,
      segmentBytes: config.store.segmentBytes,
      snapshotIntervalMs: config.store.snapshotIntervalMs,
      compactAfterBytes: config.store.compactAfterBytes,
      repair: options.repair ?? false,
      logger: log,
      ...(fileOps ? { fileOps } : {}),
    });

  const hub = new Hub({
    host: config.server.host,
    wsPort: config.server.wsPort,
    maxFrameBytes: config.server.maxFrameBytes,
    maxBackpressureBytes: config.server.maxBackpressureBytes,
    handshakeTimeoutMs: config.server.handshakeTimeoutMs,
    idleMemoryReleaseMs: config.server.idleMemoryReleaseMs,
    heartbeatIntervalMs: config.workers.heartbeatIntervalMs,
    transport: config.server.transport,
    tls,
    auth: { enabled: config.auth.enabled, ...(secret ? { secret } : {}) },
    core: coreOptions,
    limits: config.limits,
    federation: config.federation,
    workspaces: config.workspaces,
    store,
    logger: log,
    version: VERSION,
    onFatal: (err) => stopOnStoreFailure(err),
    dataDir,
    ...(cluster
      ? {
          transports: cluster.transports,
          cluster: { hubId: cluster.hubId, role: 'leader' as const },
        }
      : {}),
  });
  if (cluster?.members) hub.gateway.cluster.attach(cluster.members);
  store.onFsyncLatency((ms) => hub.metrics.fsyncLatency.observe(ms / 1000));
  store.onFatal(stopOnStoreFailure);

  const ssh = config.nodes.ssh;
  let hubKey: ReturnType<typeof loadOrCreateHubKey> | undefined;
  // Generated on the first node command, not at every start.
  const key = (): ReturnType<typeof loadOrCreateHubKey> =>
    (hubKey ??= loadOrCreateHubKey(dataDir, ssh.keyFile));
  const knownHosts = new KnownHosts(
    ssh.knownHostsFile ?? path.join(dataDir, 'ssh', 'known_hosts'),
    ssh.trustOnFirstUse,
  );
  const keysDir = ssh.keysDir ?? path.join(dataDir, 'ssh', 'keys');
  const pool = new SshPool({
    privateKey: () => key().privateKey,
    nodeKey: (name) => loadNodeKey(keysDir, name),
    knownHosts,
    connectTimeoutMs: ssh.connectTimeoutMs,
    commandTimeoutMs: ssh.commandTimeoutMs,
    idleTimeoutMs: ssh.idleTimeoutMs,
    keepaliveIntervalMs: ssh.keepaliveIntervalMs,
    maxSessionsPerNode: ssh.maxSessionsPerNode,
  });
  const runner = new SshRunner(pool);
  const nodes = new NodeService(
    hub,
    runner,
    (node, credentials) =>
      installHubKey(targetOf(node), key().publicKey, credentials, knownHosts, {
        timeoutMs: ssh.connectTimeoutMs,
        ...(credentials.authorizedKeysFile
          ? { authorizedKeysFile: credentials.authorizedKeysFile }
          : {}),
      }),
    { forwards: config.nodes.forwards, probe: config.nodes.probe },
  );
  const http = new HttpServer(
    hub,
    {
      host: config.server.host,
      port: config.server.httpPort,
      maxBodyBytes: config.server.maxFrameBytes,
      tls,
    },
    withDashboard(allRoutes(hub, { cors: config.server.cors }), config.server.ui),
  );
  await http.listen();
  log.info({ port: http.port, host: config.server.host }, 'http side port listening');

  try {
    const recovered = cluster?.recovered ?? (await store.open());
    if (recovered.stats.droppedTailBytes > 0) {
      log.warn(
        { bytes: recovered.stats.droppedTailBytes, records: recovered.stats.droppedTailRecords },
        'dropped a torn WAL tail (a write cut short by the crash)',
      );
    }
    await hub.start(
      { snapshot: recovered.snapshot, records: recovered.records, core: recovered.core },
      () => {
        applyOfflineRevocations(hub, dataDir, log);
        applyQueueLimits(hub, config.queues, log);
      },
    );
  } catch (err) {
    // A cluster member that fails to start leading (its lease lost during recovery) goes on
    // as an edge on the same ports: what this start opened must be closed again.
    await hub.abandon(CloseCode.GOING_AWAY, 'hub failed to start').catch(() => undefined);
    await http.close().catch(() => undefined);
    throw err;
  }
  // Engines that write the state the hub gives them (snapshot mode; the WAL's compaction while
  // the state is small). Only now: a state taken during recovery would be a part of it.
  store.setStateProvider?.(
    () => hub.core.snapshot(),
    () => hub.core.snapshotWeight(),
  );
  // Node statuses from here on, without waiting for the next command: the nodes are recovered.
  nodes.startProbe();
  // Workspaces a restart cut off in `creating` are made again; running ones' services checked.
  hub.gateway.workspaces.resume();
  if (config.store.mode === 'memory' && config.auth.enabled) {
    // A memory store forgets its state at exit, but a revoked token must stay revoked: the
    // revocations file (applied at every start) is their record here.
    hub.onEvent((event, now) => {
      if (event.type !== 'token.revoked') return;
      try {
        ensureDataDir(dataDir);
        appendRecord(revocationsFile(dataDir), {
          ...(event.tokenId !== undefined ? { tokenId: event.tokenId } : {}),
          ...(event.subject !== undefined
            ? { subject: event.subject, issuedBefore: event.issuedBefore }
            : {}),
          revokedAt: now,
        });
      } catch (err) {
        log.error(
          { err: (err as Error).message },
          'could not record a revocation in the data dir; it holds until this hub stops',
        );
      }
    });
  }
  log.info(
    {
      version: VERSION,
      preset: config.preset,
      store: config.store.mode,
      dataDir: config.store.mode === 'memory' ? undefined : dataDir,
    },
    'switchboard ready',
  );

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      log.info(
        { reason, drainTimeoutMs: config.shutdown.drainTimeoutMs },
        'shutting down: draining workers',
      );
      await hub.stop(config.shutdown.drainTimeoutMs);
      await http.close();
      await nodes.close();
      await store.close();
      log.info('stopped cleanly');
    })();
    return stopping;
  };

  if (options.handleSignals) {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        log.warn({ signal: sig }, 'second signal: exiting now without waiting for running tasks');
        process.exit(1);
      }
      stop(sig).then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'error during shutdown');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', () => reloadTls(log, tls));
  }

  const abandon = async (code: number, reason: string): Promise<void> => {
    stopping ??= (async () => {
      await hub.abandon(code, reason);
      await http.close();
      await nodes.close();
    })();
    return stopping;
  };

  return { hub, http, store, log, stop, abandon };
}

/**
 * Revocations that `switchboard token revoke` wrote while no hub ran: each one the state does
 * not hold yet becomes a journaled `token.revoke`, before any port takes a token.
 */
function applyOfflineRevocations(hub: Hub, dataDir: string, log: Logger): void {
  const { records, skipped } = readRevocationRequests(dataDir);
  if (skipped > 0) {
    log.warn({ skipped }, 'revocations.jsonl has lines that are not valid revocations; skipped');
  }
  let applied = 0;
  for (const r of records) {
    const issuedBefore = r.issuedBefore ?? r.revokedAt;
    if (hub.core.revocations.covers(r.tokenId, r.subject, issuedBefore)) continue;
    const { result } = hub.execute({
      type: 'token.revoke',
      now: hub.now(),
      ...(r.tokenId !== undefined ? { tokenId: r.tokenId } : { subject: r.subject!, issuedBefore }),
      ...(r.reason === undefined ? {} : { reason: r.reason }),
    });
    if (result.ok) applied++;
  }
  if (applied > 0) log.info({ applied }, 'applied revocations made while the hub was stopped');
}

/**
 * `queues.<name>` of the config: each listed queue gets exactly these limits, journaled like
 * a REST change (so a leader that takes over later replays them), and only when they differ
 * from what the recovered state holds.
 */
function applyQueueLimits(hub: Hub, queues: QueuesConfig, log: Logger): void {
  for (const [name, entry] of Object.entries(queues)) {
    const limits = queueLimitsOf(entry);
    const current = hub.core.queues.get(name)?.limits?.spec ?? {};
    if (isDeepStrictEqual(current, limits)) continue;
    hub.execute({ type: 'queue.limit', now: hub.now(), queue: name, limits });
    log.info({ queue: name, limits }, 'queue limits set from the config');
  }
}

function logCertificate(log: Logger, tls: TlsSource, msg: string): void {
  const m = tls.current;
  log.info(
    {
      certFile: m.files.certFile,
      subject: m.subject,
      fingerprint: m.fingerprint,
      notAfter: m.notAfter.toISOString(),
      clientCertificates: tls.requiresClientCert,
    },
    msg,
  );
  if (m.notAfter.getTime() < Date.now()) {
    log.warn({ notAfter: m.notAfter.toISOString() }, 'the TLS certificate has expired');
  }
}

/**
 * SIGHUP: read server.tls again. New connections get the new certificate; open ones keep
 * theirs. A file that is not usable changes nothing and is logged, never fatal: the hub
 * keeps serving with the certificate it has.
 */
function reloadTls(log: Logger, tls: TlsSource | undefined): void {
  if (!tls) {
    log.info('SIGHUP: nothing to reload (server.tls is not set)');
    return;
  }
  try {
    const { failures } = tls.reload();
    logCertificate(log, tls, 'SIGHUP: TLS certificate reloaded');
    for (const failure of failures) log.error({ problem: failure }, 'TLS reload incomplete');
  } catch (err) {
    log.error(
      { problem: (err as Error).message },
      'SIGHUP: TLS certificate NOT reloaded; still serving the previous one',
    );
  }
}

/** The routes plus the dashboard's (server.ui), which claims `/` only when nothing else does. */
function withDashboard(routes: Route[], ui: HubConfig['server']['ui']): Route[] {
  if (!ui.enabled) return routes;
  const rootTaken = routes.some((r) => r.method === 'GET' && r.path === '/');
  return [...routes, ...uiRoutes({ path: ui.path, dir: ui.dir, redirectRoot: !rootTaken })];
}
