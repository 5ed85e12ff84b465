import type { Logger } from 'pino';
import { CloseCode, ErrorCode, FrameType } from '../../protocol/index.js';
import {
  Core,
  DIRECTLY_DURABLE,
  type Command,
  type CommandResult,
  type HubEvent,
} from '../core/index.js';
import { EventLog } from './event-log.js';
import { HubPhase, type HubPhaseName } from '../gateway/engine.js';
import { Gateway } from '../gateway/gateway.js';
import { OperationError } from '../gateway/operation-error.js';
import { storeFailure } from '../gateway/store-failure.js';
import type { HubStore } from './hub-store.js';
import { IdGenerator } from './id-generator.js';
import { HubMetrics } from './metrics.js';
import { HubStats } from './hub-stats.js';
import { IdleMemoryRelease } from './idle-memory-release.js';
import { LiveGrants } from './live-grants.js';
import type { Grant } from '../auth/index.js';
import { limitsSchema, type LimitsConfig } from '../config/schema.js';
import { federationSchema, type FederationConfig } from '../config/federation-schema.js';
import type { Session } from './session.js';
import { SessionTable } from './session-table.js';
import { BusRouting, type BusSink } from './bus-routing.js';
import { deliverEvent, type DeliveryContext } from './deliver-event.js';
import { HubClock } from './hub-clock.js';
import { HubConnections } from './hub-connections.js';
import { HubLifecycle, type Recovered } from './hub-lifecycle.js';
import type { HubOptions } from './hub-options.js';
import { SystemEvents } from './system-events.js';

export type { HubOptions } from './hub-options.js';
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

/**
 * The composition root of a running hub: the core, its store, the WebSocket connections
 * (hub-connections.ts), the clock (hub-clock.ts) and the lifecycle (hub-lifecycle.ts).
 * Every state change goes through `execute` (one path for WebSocket, HTTP and replay);
 * replies that promise durability wait for `whenDurable`.
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
  private readonly sessions = new SessionTable(
    (session, err) => this.connectionHandler.sessionFailed(session, err, 'flush'),
    (n) => this.framesOut.inc(n),
  );
  /** The tick at the core's next deadline and the gc beat. */
  private readonly clock: HubClock;
  /** Sessions, frames in, rate limits (hub-connections.ts). */
  private readonly connectionHandler: HubConnections;
  /** Recovery, the ports, stop and abandon (hub-lifecycle.ts). */
  private readonly lifecycle: HubLifecycle;
  /** The event stream as `$sys.<type>` messages, while someone subscribes. */
  private readonly systemEvents: SystemEvents;
  private readonly listeners = new Set<(event: HubEvent, now: number) => void>();
  private readonly delivery: DeliveryContext;
  private readonly bus: BusRouting;
  private readonly framesOut: { inc(n?: number): void };

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
    const framesIn = this.metrics.frames.labels('in');
    this.framesOut = this.metrics.frames.labels('out');
    this.limits = options.limits ?? limitsSchema.parse({});
    this.federation = options.federation ?? federationSchema.parse({});
    this.gateway.federation.configure(this.federation);
    if (options.workspaces) this.gateway.workspaces.configure(options.workspaces);
    this.cluster = options.cluster;
    this.clock = new HubClock(this, this.idleRelease);
    this.connectionHandler = new HubConnections(
      this,
      this.sessions,
      this.clock,
      this.idleRelease,
      options,
      framesIn,
    );
    this.lifecycle = new HubLifecycle(
      this,
      options,
      this.sessions,
      this.clock,
      this.connectionHandler.handlers,
    );
    this.systemEvents = new SystemEvents(this);
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
  start(
    recovered?: Recovered,
    /** Runs on the recovered state before the WebSocket port opens (offline revocations). */
    beforeListen?: () => void,
  ): Promise<void> {
    return this.lifecycle.start(recovered, beforeListen);
  }

  get transportKind(): string | undefined {
    return this.lifecycle.transportKind;
  }

  /**
   * Graceful stop: refuse new connections and submits, tell workers to drain, wait up to
   * `drainTimeoutMs` for running tasks, then close every connection.
   */
  stop(drainTimeoutMs = 0): Promise<void> {
    return this.lifecycle.stop(drainTimeoutMs);
  }

  /**
   * Stop at once, without a drain or a last wait for the store: this hub may no longer act
   * (a successor holds the cluster's lease). Every connection is closed with `code`.
   */
  abandon(code: number, reason: string): Promise<void> {
    return this.lifecycle.abandon(code, reason);
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
    if (this.core.bus.systemConsumers > 0 || this.systemEvents.pending !== undefined)
      this.systemEvents.publish();
    this.clock.scheduleWake();
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
}
