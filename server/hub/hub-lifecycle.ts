import type { Logger } from 'pino';
import { FrameType } from '../../protocol/index.js';
import { Core, replay, type Command, type CommandResult } from '../core/index.js';
import type { LimitsConfig } from '../config/schema.js';
import { HubPhase, type HubPhaseName } from '../gateway/engine.js';
import { createSocketServer } from '../transport/create-socket-server.js';
import { ConnectionCaps } from '../transport/connection-caps.js';
import type { SocketHandlers, SocketServer } from '../transport/socket-server.js';
import type { HubClock } from './hub-clock.js';
import type { HubOptions } from './hub-options.js';
import { LimitName } from './limit-names.js';
import type { LiveGrants } from './live-grants.js';
import type { HubMetrics } from './metrics.js';
import type { SessionTable } from './session-table.js';

/** The state a hub starts from: a snapshot and the journal records after it. */
export interface Recovered {
  snapshot: unknown;
  records: Iterable<object> | AsyncIterable<object>;
  /** The state before `records`, already built (a warm standby's); else `snapshot`'s. */
  core?: Core;
}

/** What the lifecycle needs of the hub: the state it moves through phases, and its paths. */
export interface LifecycleHost {
  phase: HubPhaseName;
  core: Core;
  wsPort: number;
  readonly log: Logger;
  readonly limits: LimitsConfig;
  readonly metrics: HubMetrics;
  readonly liveGrants: LiveGrants;
  readonly lastSeq: number;
  readonly maxFrameBytes: number;
  readonly heartbeatIntervalMs: number;
  now(): number;
  execute(cmd: Command): { result: CommandResult; seq: number };
  whenDurable(seq: number, cb: (err?: Error) => void): void;
}

/**
 * A hub's life: recovery from the store, the ports opened, then a drain (stop) or an
 * immediate end (abandon). Owns the socket servers.
 */
export class HubLifecycle {
  private socketServer: SocketServer | undefined;
  private readonly extraServers: SocketServer[] = [];

  constructor(
    private readonly hub: LifecycleHost,
    private readonly options: HubOptions,
    private readonly sessions: SessionTable,
    private readonly clock: HubClock,
    private readonly handlers: SocketHandlers,
  ) {}

  get transportKind(): string | undefined {
    return this.socketServer?.kind;
  }

  /**
   * Recover state (snapshot + log replay through the same `apply` path as live commands),
   * count leases held at crash time as lost, then open the WebSocket port.
   */
  async start(recovered?: Recovered, beforeListen?: () => void): Promise<void> {
    const hub = this.hub;
    hub.phase = HubPhase.recovering;
    if (recovered) {
      const t0 = performance.now();
      hub.core = recovered.core ?? Core.restore(recovered.snapshot, this.options.core);
      // A macrotask turn every 20 ms of work, so the HTTP side port answers and timers
      // (a cluster leader's lease checks) run during a long replay.
      let since = performance.now();
      const n = await replay(hub.core, recovered.records, () => {
        if (performance.now() - since < 20) return undefined;
        return new Promise<void>((resolve) =>
          setImmediate(() => {
            since = performance.now();
            resolve();
          }),
        );
      });
      const { result } = hub.execute({ type: 'recover', now: hub.now() });
      hub.log.info(
        {
          records: n,
          tasks: hub.core.tasks.size,
          leasesLost: result.ok ? result.count : 0,
          ms: Math.round(performance.now() - t0),
        },
        'state recovered',
      );
    }
    beforeListen?.();
    this.socketServer = createSocketServer(
      this.options.transport,
      {
        host: this.options.host,
        port: this.options.wsPort,
        // Frames up to 4x the soft limit are read so they can be answered with an error
        // frame; beyond that the transport closes with 1009.
        maxPayloadBytes: hub.maxFrameBytes * 4,
        maxBackpressureBytes: this.options.maxBackpressureBytes,
        idleTimeoutSec: Math.max(8, Math.ceil((hub.heartbeatIntervalMs * 3) / 1000)),
        tls: this.options.tls,
        caps: new ConnectionCaps(
          hub.limits.maxConnections,
          hub.limits.maxConnectionsPerAddress,
          'WebSocket connections',
          (reason) =>
            hub.metrics.limitHit(
              reason === 'global' ? LimitName.wsConnections : LimitName.wsConnectionsPerAddress,
            ),
        ),
        headersTimeoutMs: hub.limits.http.headersTimeoutMs,
        onRequestTimeout: () => hub.metrics.limitHit(LimitName.httpRequestTimeout),
      },
      this.handlers,
      (msg) => hub.log.warn(msg),
    );
    hub.wsPort = await this.socketServer.listen();
    for (const make of this.options.transports ?? []) {
      const server = make(this.handlers);
      await server.listen();
      this.extraServers.push(server);
    }
    this.clock.startGc();
    hub.phase = HubPhase.ready;
    hub.log.info(
      {
        port: hub.wsPort,
        host: this.options.host,
        transport: this.socketServer.kind,
        tls: this.options.tls !== undefined,
      },
      'websocket port listening',
    );
  }

  /**
   * Graceful stop: refuse new connections and submits, tell workers to drain, wait up to
   * `drainTimeoutMs` for running tasks, then close every connection.
   */
  async stop(drainTimeoutMs = 0): Promise<void> {
    const hub = this.hub;
    if (hub.phase === HubPhase.stopped) return;
    hub.phase = HubPhase.draining;
    this.socketServer?.stopListening();
    for (const server of this.extraServers) server.stopListening();
    for (const session of this.sessions.workers()) {
      session.send({ t: FrameType.drain, reason: 'hub shutting down' });
      hub.execute({ type: 'worker.drain', now: hub.now(), workerId: session.workerId! });
    }
    const deadline = Date.now() + drainTimeoutMs;
    while (Date.now() < deadline && this.leasedCount() > 0) {
      await new Promise((r) => setTimeout(r, 25));
    }
    // Let the last acks reach the store and the sockets.
    await new Promise<void>((r) => hub.whenDurable(hub.lastSeq, () => r()));
    this.clock.stop();
    hub.liveGrants.clear();
    // Replies queued for this turn (acks of work accepted before draining) go out first.
    this.sessions.flushAll();
    await this.closeServers();
    hub.phase = HubPhase.stopped;
  }

  /**
   * Stop at once, without a drain or a last wait for the store: this hub may no longer act
   * (a successor holds the cluster's lease), so nothing it does from here may count. Every
   * connection is closed with `code`; clients reconnect to the hub that now leads.
   */
  async abandon(code: number, reason: string): Promise<void> {
    const hub = this.hub;
    if (hub.phase === HubPhase.stopped) return;
    hub.phase = HubPhase.draining;
    this.clock.halt();
    hub.liveGrants.clear();
    for (const session of [...this.sessions.all()]) session.close(code, reason);
    this.sessions.flushAll();
    await this.closeServers();
    hub.phase = HubPhase.stopped;
  }

  private async closeServers(): Promise<void> {
    for (const server of this.extraServers) await server.close();
    await this.socketServer?.close();
  }

  private leasedCount(): number {
    let n = 0;
    for (const q of this.hub.core.queues.values()) n += q.leased;
    return n;
  }
}
