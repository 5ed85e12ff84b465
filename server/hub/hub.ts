import type { Logger } from 'pino';
import { CloseCode, decodeClientFrame, ErrorCode, FrameType } from '../../protocol/index.js';
import {
  Core,
  DIRECTLY_DURABLE,
  replay,
  type Command,
  type CommandResult,
  type CoreOptions,
  type HubEvent,
} from '../core/index.js';
import { createSocketServer, type TransportChoice } from '../transport/create-socket-server.js';
import type {
  Connection,
  SocketHandlers,
  SocketServer,
  UpgradeInfo,
} from '../transport/socket-server.js';
import type { TlsSource } from '../transport/tls-options.js';
import { EventLog, type StreamEvent } from './event-log.js';
import { HubPhase, type HubPhaseName } from '../gateway/engine.js';
import { Gateway } from '../gateway/gateway.js';
import { OperationError } from '../gateway/operation-error.js';
import { storeFailure } from '../gateway/store-failure.js';
import { frameHandlers, type FrameContext } from './frame-handlers.js';
import type { HubStore } from './hub-store.js';
import { IdGenerator } from './id-generator.js';
import { HubMetrics } from './metrics.js';
import { HubStats } from './hub-stats.js';
import { IdleMemoryRelease } from './idle-memory-release.js';
import { LiveGrants } from './live-grants.js';
import type { Grant } from '../auth/index.js';
import { limitsSchema, type LimitsConfig } from '../config/schema.js';
import { federationSchema, type FederationConfig } from '../config/federation-schema.js';
import type { WorkspacesConfig } from '../config/workspaces-schema.js';
import { ConnectionCaps } from '../transport/connection-caps.js';
import { LimitName } from './limit-names.js';
import { RateLimiter, RateVerdict, type RateVerdictValue } from './rate-limiter.js';
import { ReadBatch } from './read-batch.js';
import { Session, SessionState } from './session.js';
import { SessionTable } from './session-table.js';
import { BusRouting, type BusSink } from './bus-routing.js';
import { deliverEvent, type DeliveryContext } from './deliver-event.js';

export interface HubOptions {
  host: string;
  wsPort: number;
  maxFrameBytes: number;
  maxBackpressureBytes: number;
  handshakeTimeoutMs: number;
  heartbeatIntervalMs: number;
  transport: TransportChoice;
  /** server.tls: serve wss:// (reloadable on SIGHUP). */
  tls?: TlsSource | undefined;
  auth: { enabled: boolean; secret?: string };
  core: Partial<CoreOptions>;
  store: HubStore;
  logger: Logger;
  version: string;
  /** The data dir, where the CLI records the tokens it mints (GET /api/v1/tokens reads it). */
  dataDir?: string;
  /** Collect default process metrics (off in tests that run many hubs in one process). */
  processMetrics?: boolean;
  /**
   * The hub's state and its log can no longer be trusted to agree (a record could not be
   * appended after the core applied its command). The process should stop; recovery from
   * the log restores a consistent state. Default: log at fatal and refuse new work.
   */
  onFatal?: (err: Error) => void;
  /**
   * After activity, once the hub has been quiet this long, ask V8 for one full collection
   * so the memory a burst took goes back to the OS. 0 = never.
   */
  idleMemoryReleaseMs?: number;
  /** Limits against hostile clients (docs/limits.md); the schema's defaults when absent. */
  limits?: LimitsConfig;
  /** Federated summaries: caps, rates, CORS (docs/federation.md); the schema's defaults when absent. */
  federation?: FederationConfig;
  /** Workspaces: SSH port range and timeouts (docs/workspaces.md); defaults when absent. */
  workspaces?: WorkspacesConfig;
  /**
   * More ways in beside the WebSocket port, fed the same handlers: the cluster's relay of
   * clients connected to edge hubs. Opened after the port, closed with it.
   */
  transports?: ((handlers: SocketHandlers) => SocketServer)[];
  /** In a cluster: this hub's name and role, shown by /health. */
  cluster?: { hubId: string; role: 'leader' };
}

export { HubPhase, type HubPhaseName } from '../gateway/engine.js';

/**
 * A store that cannot take a record now (Redis out of reach, a full disk) refuses the
 * command before the core sees it: the caller gets that store's code (ENGINE_UNAVAILABLE,
 * STORE_FULL...) and nothing changed. Anything else is a bug and stays an exception.
 */
function refusal(err: Error): Error {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !STORE_REFUSALS.has(code)) return err;
  return new OperationError(storeFailure(err).code, `not accepted: ${err.message}`);
}
const STORE_REFUSALS: ReadonlySet<string> = new Set([
  ErrorCode.ENGINE_UNAVAILABLE,
  // A successor leads: this hub is about to step down, the client retries elsewhere.
  ErrorCode.FENCED,
  ErrorCode.STORE_NO_SPACE,
  ErrorCode.STORE_UNAVAILABLE,
]);

/** Too many protocol errors on one connection is abuse, not a bug in one frame. */
const MAX_PROTOCOL_ERRORS = 100;

/**
 * The composition root of a running hub: the core, its store, the WebSocket transport,
 * and the clock. Every state change goes through `execute` (one path for WebSocket, HTTP
 * and replay); replies that promise durability wait for `whenDurable`.
 */
export class Hub {
  core: Core;
  readonly log: Logger;
  private readonly idleRelease: IdleMemoryRelease;
  readonly metrics: HubMetrics;
  readonly events = new EventLog();
  readonly stats = new HubStats();
  readonly ids = new IdGenerator();
  readonly version: string;
  readonly heartbeatIntervalMs: number;
  readonly maxFrameBytes: number;
  readonly authEnabled: boolean;
  readonly authSecret: string | undefined;
  readonly dataDir: string | undefined;
  /** Sessions and streams holding a token now: ended on its revocation or expiry. */
  readonly liveGrants = new LiveGrants();
  /** The one path every transport takes to perform operations and reads. */
  readonly gateway: Gateway = new Gateway(this);
  /** Also read by the HTTP side port (its connection caps, timeouts, body depth). */
  readonly limits: LimitsConfig;
  /** The /federation paths read their body limit and CORS from it; the gateway its caps and rates. */
  readonly federation: FederationConfig;
  phase: HubPhaseName = HubPhase.created;
  wsPort = 0;
  readonly startedAt = Date.now();
  /** In a cluster: this hub's name and role (the hub only ever runs as the leader). */
  readonly cluster: { hubId: string; role: 'leader' } | undefined;
  /** Sequence of the last journal record appended (what a reply must wait for). */
  lastSeq = 0;

  private readonly store: HubStore;
  private socketServer: SocketServer | undefined;
  private readonly extraServers: SocketServer[] = [];
  private readonly handlers: SocketHandlers = {
    onOpen: (conn, info) => this.onOpen(conn, info),
    onMessage: (conn, bytes) => this.onMessage(conn, bytes),
    onDrain: (conn) => this.sessions.get(conn.id)?.drainBacklog(),
    onClose: (conn, code) => this.onClose(conn, code),
  };
  private readonly sessions = new SessionTable(
    (session, err) => this.sessionFailed(session, err, 'flush'),
    (n) => this.framesOut.inc(n),
  );
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  /**
   * Set by abandon(): a successor may lead and this hub's store is closed, so nothing may
   * reach the core any more, not a timer's tick nor the disconnects of the sessions it closes.
   */
  private halted = false;
  private gcTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(event: HubEvent, now: number) => void>();
  private readonly delivery: DeliveryContext;
  private readonly bus: BusRouting;
  private readonly framesIn: { inc(n?: number): void };
  private readonly framesOut: { inc(n?: number): void };
  /** Frames in and the rate limiters' clock, accounted once per loop iteration of reads. */
  private readonly readBatch = new ReadBatch((n) => this.framesIn.inc(n));

  constructor(private readonly options: HubOptions) {
    this.core = new Core(options.core);
    this.metrics = new HubMetrics(
      () => this.core,
      () => this.sessions.size,
      options.processMetrics ?? true,
    );
    this.bus = new BusRouting(this.sessions, this.metrics.bus);
    this.delivery = {
      sessions: this.sessions,
      bus: this.bus,
      log: options.logger,
      afterDurable: (cb) => this.whenDurable(this.lastSeq, cb),
      revokeLiveGrants: () =>
        this.liveGrants.revokeWhere((grant) => this.core.revocations.isRevoked(grant)),
      flowChildren: (taskId) =>
        this.core.flows.parents.size === 0
          ? undefined
          : this.core.flows.outcomes(taskId, this.core.tasks),
    };
    this.log = options.logger;
    this.idleRelease = new IdleMemoryRelease(options.idleMemoryReleaseMs ?? 0, options.logger);
    this.version = options.version;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.maxFrameBytes = options.maxFrameBytes;
    this.authEnabled = options.auth.enabled;
    this.authSecret = options.auth.secret;
    this.dataDir = options.dataDir;
    if (this.authEnabled && !this.authSecret)
      throw new Error('auth is enabled but no secret was given');
    this.store = options.store;
    this.framesIn = this.metrics.frames.labels('in');
    this.framesOut = this.metrics.frames.labels('out');
    this.limits = options.limits ?? limitsSchema.parse({});
    this.federation = options.federation ?? federationSchema.parse({});
    this.gateway.federation.configure(this.federation);
    if (options.workspaces) this.gateway.workspaces.configure(options.workspaces);
    this.cluster = options.cluster;
  }

  now(): number {
    return Date.now();
  }

  get connections(): number {
    return this.sessions.size;
  }

  /** Ready for new work: started, not draining, and the store can take records. */
  get ready(): boolean {
    return this.phase === HubPhase.ready && this.store.available !== false;
  }

  /** Subscribe to every core event (metrics, the event stream, tests). */
  onEvent(listener: (event: HubEvent, now: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Recover state (snapshot + log replay through the same `apply` path as live commands),
   * count leases held at crash time as lost, then open the WebSocket port.
   */
  async start(
    recovered?: {
      snapshot: unknown;
      records: Iterable<object> | AsyncIterable<object>;
      /** The state before `records`, already built (a warm standby's); else `snapshot`'s. */
      core?: Core;
    },
    /** Runs on the recovered state before the WebSocket port opens (offline revocations). */
    beforeListen?: () => void,
  ): Promise<void> {
    this.phase = HubPhase.recovering;
    if (recovered) {
      const t0 = performance.now();
      this.core = recovered.core ?? Core.restore(recovered.snapshot, this.options.core);
      // A macrotask turn every 20 ms of work, so the HTTP side port answers and timers
      // (a cluster leader's lease checks) run during a long replay.
      let since = performance.now();
      const n = await replay(this.core, recovered.records, () => {
        if (performance.now() - since < 20) return undefined;
        return new Promise<void>((resolve) =>
          setImmediate(() => {
            since = performance.now();
            resolve();
          }),
        );
      });
      const { result } = this.execute({ type: 'recover', now: this.now() });
      this.log.info(
        {
          records: n,
          tasks: this.core.tasks.size,
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
        maxPayloadBytes: this.maxFrameBytes * 4,
        maxBackpressureBytes: this.options.maxBackpressureBytes,
        idleTimeoutSec: Math.max(8, Math.ceil((this.heartbeatIntervalMs * 3) / 1000)),
        tls: this.options.tls,
        caps: new ConnectionCaps(
          this.limits.maxConnections,
          this.limits.maxConnectionsPerAddress,
          'WebSocket connections',
          (reason) =>
            this.metrics.limitHit(
              reason === 'global' ? LimitName.wsConnections : LimitName.wsConnectionsPerAddress,
            ),
        ),
        headersTimeoutMs: this.limits.http.headersTimeoutMs,
        onRequestTimeout: () => this.metrics.limitHit(LimitName.httpRequestTimeout),
      },
      this.handlers,
      (msg) => this.log.warn(msg),
    );
    this.wsPort = await this.socketServer.listen();
    for (const make of this.options.transports ?? []) {
      const server = make(this.handlers);
      await server.listen();
      this.extraServers.push(server);
    }
    this.gcTimer = setInterval(() => this.gc(), 1000);
    this.gcTimer.unref();
    this.phase = HubPhase.ready;
    this.log.info(
      {
        port: this.wsPort,
        host: this.options.host,
        transport: this.socketServer.kind,
        tls: this.options.tls !== undefined,
      },
      'websocket port listening',
    );
  }

  get transportKind(): string | undefined {
    return this.socketServer?.kind;
  }

  /**
   * Graceful stop: refuse new connections and submits, tell workers to drain, wait up to
   * `drainTimeoutMs` for running tasks, then close every connection.
   */
  async stop(drainTimeoutMs = 0): Promise<void> {
    if (this.phase === HubPhase.stopped) return;
    this.phase = HubPhase.draining;
    this.socketServer?.stopListening();
    for (const server of this.extraServers) server.stopListening();
    for (const session of this.sessions.workers()) {
      session.send({ t: FrameType.drain, reason: 'hub shutting down' });
      this.execute({ type: 'worker.drain', now: this.now(), workerId: session.workerId! });
    }
    const deadline = Date.now() + drainTimeoutMs;
    while (Date.now() < deadline && this.leasedCount() > 0) {
      await new Promise((r) => setTimeout(r, 25));
    }
    // Let the last acks reach the store and the sockets.
    await new Promise<void>((r) => this.whenDurable(this.lastSeq, () => r()));
    clearTimeout(this.wakeTimer);
    clearInterval(this.gcTimer);
    this.liveGrants.clear();
    // Replies queued for this turn (acks of work accepted before draining) go out first.
    this.sessions.flushAll();
    await this.closeServers();
    this.phase = HubPhase.stopped;
  }

  /**
   * Stop at once, without a drain or a last wait for the store: this hub may no longer act
   * (a successor holds the cluster's lease), so nothing it does from here may count. Every
   * connection is closed with `code`; clients reconnect to the hub that now leads.
   */
  async abandon(code: number, reason: string): Promise<void> {
    if (this.phase === HubPhase.stopped) return;
    this.phase = HubPhase.draining;
    this.halted = true;
    clearTimeout(this.wakeTimer);
    clearInterval(this.gcTimer);
    this.liveGrants.clear();
    for (const session of [...this.sessions.all()]) session.close(code, reason);
    this.sessions.flushAll();
    await this.closeServers();
    this.phase = HubPhase.stopped;
  }

  private async closeServers(): Promise<void> {
    for (const server of this.extraServers) await server.close();
    await this.socketServer?.close();
  }

  private leasedCount(): number {
    let n = 0;
    for (const q of this.core.queues.values()) n += q.leased;
    return n;
  }

  // ------------------------------------------------------------------ commands

  /**
   * Apply one command, journal what it made durable, and act on its events. Returns the
   * core's answer and the journal position a reply must wait for.
   */
  execute(cmd: Command): { result: CommandResult; seq: number } {
    if (cmd.type !== 'worker.heartbeat' && cmd.type !== 'tick' && cmd.type !== 'gc') {
      this.idleRelease.noteActivity();
    }
    // A command that cannot be journaled throws here, before the core has seen it.
    if (this.store.prepare !== undefined && DIRECTLY_DURABLE.has(cmd.type)) {
      try {
        this.store.prepare(cmd);
      } catch (err) {
        throw refusal(err as Error);
      }
    }
    const result = this.core.apply(cmd);
    if ((cmd.type === 'bus.publish' || cmd.type === 'bus.emit') && result.ok)
      this.metrics.bus.published.inc();
    const { events, journal } = this.core.takeEffects();
    try {
      for (let i = 0; i < journal.length; i++) this.lastSeq = this.store.append(journal[i]!);
    } catch (err) {
      // The core moved on but its log did not: memory and disk disagree, and only a restart
      // from the log makes them agree again. Nothing unlogged was acknowledged.
      this.failStore(err as Error);
      throw err;
    }
    if (events.length) this.handleEvents(events, cmd.now);
    if (this.core.bus.systemConsumers > 0 || this.systemEvents) this.publishSystemEvents();
    this.scheduleWake();
    return { result, seq: this.lastSeq };
  }

  /** Run `cb` once every journal record up to `seq` is durable (or failed to be). */
  whenDurable(seq: number, cb: (err?: Error) => void): void {
    this.store.onDurable(seq, cb);
  }

  /**
   * Tasks whose submit record could not be persisted were never accepted: take them back,
   * as if never submitted, so no worker runs work the producer was told failed.
   */
  rollbackSubmit(taskIds: string[], err: Error): void {
    // The store says what went wrong, once; one line per refused submit would flood the log.
    this.log.debug({ tasks: taskIds.length, err: err.message }, 'submit not persisted; retracted');
    try {
      this.execute({ type: 'task.retract', now: this.now(), taskIds });
    } catch (retractErr) {
      // The store has failed for good (the hub is stopping): the tasks were never in the log,
      // so recovery will not know them either.
      this.log.error({ err: (retractErr as Error).message }, 'could not retract tasks');
    }
  }

  /** Send `sessionId` the task's result (and progress, if asked) when it comes. */
  watch(sessionId: string, taskId: string, progress: boolean): void {
    this.sessions.watch(sessionId, taskId, progress);
  }

  /** Stop giving a worker new tasks; it finishes what it runs (operator action). */
  drainWorker(workerId: string): void {
    const session = this.sessions.worker(workerId);
    if (session) session.send({ t: FrameType.drain, reason: 'drained by an operator' });
    this.execute({ type: 'worker.drain', now: this.now(), workerId });
  }

  // ------------------------------------------------------------------ message bus

  /** Stream events waiting to go out on `$sys` topics; undefined while nobody subscribes. */
  private systemEvents: StreamEvent[] | undefined;
  private stopSystemEvents: (() => void) | undefined;

  /**
   * The event stream's events, as at-most-once messages on `$sys.<type>` (the same events
   * and fields as SSE), for admin subscribers. Collected while some subscription wants them
   * and published after the command that caused them.
   */
  private publishSystemEvents(): void {
    if (this.core.bus.systemConsumers === 0) {
      this.stopSystemEvents?.();
      this.stopSystemEvents = this.systemEvents = undefined;
      return;
    }
    if (!this.systemEvents) {
      const queue: StreamEvent[] = (this.systemEvents = []);
      this.stopSystemEvents = this.events.subscribe((e) => queue.push(e));
      return;
    }
    const queued = this.systemEvents;
    if (queued.length === 0) return;
    const batch = queued.splice(0);
    for (const e of batch)
      this.execute({
        type: 'bus.emit',
        now: e.at,
        id: String(e.id),
        topic: `$sys.${e.type}`,
        data: e,
        priority: 2,
        from: 'hub',
      });
  }

  /**
   * A bus session that is not a WebSocket (an SSE stream, server/http/bus-stream.ts): the
   * deliveries the core makes to `sessionId` go to `sink` until `detachBusSink`.
   */
  attachBusSink(sessionId: string, sink: BusSink): void {
    this.bus.attachSink(sessionId, sink);
  }

  detachBusSink(sessionId: string): void {
    this.bus.detachSink(sessionId);
  }

  sendDirect(to: string, from: string, data: unknown): boolean {
    return this.bus.sendDirect(to, from, data);
  }

  openRequest(session: string, reqId: number, timeoutMs: number): string | undefined {
    return this.bus.openRequest(session, reqId, timeoutMs);
  }

  closeRequest(replyTo: string): void {
    this.bus.closeRequest(replyTo);
  }

  reply(replyTo: string, data: unknown, error?: { code: string; message: string }): boolean {
    return this.bus.reply(replyTo, data, error);
  }

  /** Close a worker's connection (operator action). */
  kickWorker(workerId: string): boolean {
    const session = this.sessions.worker(workerId);
    if (!session) return false;
    session.close(CloseCode.KICKED, 'disconnected by an operator');
    return true;
  }

  private failStore(err: Error): void {
    if (this.phase === HubPhase.ready) this.phase = HubPhase.draining;
    if (this.options.onFatal) this.options.onFatal(err);
    else
      this.log.fatal({ err: err.message }, 'journal append failed; the hub accepts no more work');
  }

  // ------------------------------------------------------------------ tokens

  isRevoked(grant: Grant): boolean {
    return this.core.revocations.size > 0 && this.core.revocations.isRevoked(grant);
  }

  /** From welcome on, the session ends when its token is revoked or expires. */
  holdGrant(session: Session): void {
    if (!this.authEnabled) return;
    this.liveGrants.add(session.id, session.grant!, (why) => {
      this.log.info(
        { session: session.id, tokenId: session.grant!.tokenId, subject: session.grant!.subject },
        why === 'revoked'
          ? 'token revoked: closing its session'
          : 'token expired: closing its session',
      );
      if (why === 'revoked') session.close(CloseCode.TOKEN_REVOKED, 'token revoked');
      else session.close(CloseCode.TOKEN_EXPIRED, 'token expired');
    });
  }

  // ------------------------------------------------------------------ events

  private handleEvents(events: HubEvent[], now: number): void {
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      deliverEvent(this.delivery, event);
      this.metrics.observe(event, now);
      this.stats.observe(event, now);
      this.events.publishHubEvent(event, now);
      for (const l of this.listeners) l(event, now);
    }
  }

  // ------------------------------------------------------------------ time

  private scheduleWake(): void {
    if (this.halted) return;
    const at = this.core.nextWakeAt();
    if (at === undefined || at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => this.wake(), Math.max(0, at - Date.now()));
  }

  private wake(): void {
    if (this.halted) return;
    this.wakeAt = Infinity;
    this.wakeTimer = undefined;
    this.execute({ type: 'tick', now: this.now() });
  }

  private gc(): void {
    if (this.halted) return;
    const at = this.core.nextGcAt();
    const now = this.now();
    if (at !== undefined && at <= now) this.execute({ type: 'gc', now });
    this.idleRelease.check(now);
  }

  // ------------------------------------------------------------------ connections

  private onOpen(conn: Connection, _info: UpgradeInfo): void {
    this.idleRelease.noteActivity();
    const session = new Session(
      conn,
      this.options.maxBackpressureBytes * 16,
      (s) => {
        this.log.warn({ session: s.id }, 'client does not read its frames; closing');
        s.close(CloseCode.PROTOCOL_ABUSE, 'too many unread frames');
      },
      this.sessions.scheduleFlush,
      (s, frame, err) =>
        this.log.error(
          { session: s.id, frame: frame.t, err: err.message },
          'could not encode a frame; sent an error frame instead',
        ),
    );
    this.sessions.add(session);
    if (this.phase !== HubPhase.ready) {
      conn.close(CloseCode.GOING_AWAY, 'hub is not accepting connections');
      return;
    }
    session.handshakeTimer = setTimeout(() => {
      if (session.state !== SessionState.open) {
        this.metrics.limitHit(LimitName.handshakeTimeout);
        conn.close(CloseCode.HANDSHAKE_TIMEOUT, 'no hello within the handshake timeout');
      }
    }, this.options.handshakeTimeoutMs);
    session.handshakeTimer.unref();
    session.rateLimiter = RateLimiter.create(this.limits, this.readBatch.now());
  }

  private onMessage(conn: Connection, bytes: Uint8Array): void {
    const session = this.sessions.get(conn.id);
    if (!session || conn.closed) return;
    try {
      this.handleMessage(session, bytes);
    } catch (err) {
      this.sessionFailed(session, err as Error, 'message');
    }
  }

  /**
   * Something threw outside a frame handler's own guard (a bug): the session that caused it
   * is closed with 1011, the process and every other session carry on.
   */
  private sessionFailed(session: Session, err: Error, where: string): void {
    this.log.error({ session: session.id, where, err: err.message }, 'session failed');
    try {
      session.conn.close(CloseCode.INTERNAL_ERROR, 'internal error; see the hub log');
    } catch {
      // already gone
    }
  }

  private handleMessage(session: Session, bytes: Uint8Array): void {
    this.readBatch.frame();
    const limiter = session.rateLimiter;
    if (limiter !== undefined) {
      const verdict = limiter.take(bytes.length, this.readBatch.now());
      if (verdict !== RateVerdict.ok && this.overRate(session, limiter, verdict)) return;
    }
    const decoded = decodeClientFrame(bytes, this.maxFrameBytes);
    if (!decoded.ok) {
      this.protocolError(session, decoded.code, decoded.message, decoded.id);
      return;
    }
    const frame = decoded.frame;
    if (session.state !== SessionState.open && frame.t !== FrameType.hello) {
      this.protocolError(
        session,
        ErrorCode.NOT_AUTHENTICATED,
        'send hello and wait for welcome first',
        'id' in frame ? frame.id : undefined,
      );
      return;
    }
    try {
      (frameHandlers[frame.t] as (h: FrameContext, s: Session, f: typeof frame) => void)(
        this,
        session,
        frame,
      );
    } catch (err) {
      this.log.error({ err, frame: frame.t, session: session.id }, 'frame handler failed');
      session.sendError(
        ErrorCode.INTERNAL,
        `internal error handling ${frame.t}: ${(err as Error).message}`,
        'id' in frame ? frame.id : undefined,
      );
    }
  }

  /** True when the connection was closed and the frame must not be handled. */
  private overRate(session: Session, limiter: RateLimiter, verdict: RateVerdictValue): boolean {
    if (verdict === RateVerdict.drop) return true;
    if (verdict === RateVerdict.close) {
      this.metrics.limitHit(LimitName.rateClosed);
      this.log.warn({ session: session.id }, 'client kept sending over its rate; closing');
      session.close(CloseCode.RATE_LIMITED, 'over the frame or byte rate after a warning');
      return true;
    }
    this.metrics.limitHit(LimitName.rateWarned);
    session.sendError(
      ErrorCode.RATE_LIMITED,
      `over ${limiter.describe()}: slow down, or the hub closes this connection with 4029`,
    );
    return false;
  }

  private protocolError(session: Session, code: string, message: string, id?: number): void {
    this.metrics.protocolErrors.labels(code).inc();
    session.sendError(code, message, id);
    if (++session.protocolErrors > MAX_PROTOCOL_ERRORS) {
      session.close(CloseCode.PROTOCOL_ABUSE, 'too many protocol errors');
    }
  }

  private onClose(conn: Connection, code: number): void {
    const session = this.sessions.get(conn.id);
    if (!session) return;
    const workerId = this.sessions.remove(session);
    this.liveGrants.remove(conn.id);
    session.state = SessionState.closed;
    clearTimeout(session.handshakeTimer);
    if (!this.halted && this.core.bus.bySession.has(session.id))
      this.gateway.bus.sessionClosed(session.id);
    if (workerId !== undefined && !this.halted) {
      if (this.core.workers.has(workerId)) {
        this.execute({ type: 'worker.disconnect', now: this.now(), workerId, session: session.id });
      }
      this.log.debug({ worker: workerId, code }, 'worker connection closed');
    }
  }
}
