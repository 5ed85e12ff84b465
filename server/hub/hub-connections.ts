import { CloseCode, decodeClientFrame, ErrorCode, FrameType } from '../../protocol/index.js';
import type { Command, CommandResult, Core } from '../core/index.js';
import type { LimitsConfig } from '../config/schema.js';
import { HubPhase, type HubPhaseName } from '../gateway/engine.js';
import type { Connection, SocketHandlers, UpgradeInfo } from '../transport/socket-server.js';
import { frameHandlers, type FrameContext } from './frame-handlers.js';
import type { HubClock } from './hub-clock.js';
import type { IdleMemoryRelease } from './idle-memory-release.js';
import { LimitName } from './limit-names.js';
import type { LiveGrants } from './live-grants.js';
import type { HubMetrics } from './metrics.js';
import { RateLimiter, RateVerdict, type RateVerdictValue } from './rate-limiter.js';
import { ReadBatch } from './read-batch.js';
import { Session, SessionState } from './session.js';
import type { SessionTable } from './session-table.js';

/** Too many protocol errors on one connection is abuse, not a bug in one frame. */
const MAX_PROTOCOL_ERRORS = 100;

/** What connection handling needs of the hub (the hub passes itself). */
export interface ConnectionHost extends FrameContext {
  readonly phase: HubPhaseName;
  readonly core: Pick<Core, 'bus' | 'workers'>;
  readonly limits: LimitsConfig;
  readonly liveGrants: LiveGrants;
  readonly metrics: HubMetrics;
  now(): number;
  execute(cmd: Command): { result: CommandResult; seq: number };
}

/**
 * The hub's WebSocket connections (and those of the extra transports, fed the same
 * handlers): a session per connection, the handshake timeout and the rate limits, each frame
 * decoded and handed to its handler, and the worker's disconnect when a connection closes.
 */
export class HubConnections {
  /** What every transport calls: the hub's socket handlers. */
  readonly handlers: SocketHandlers = {
    onOpen: (conn, info) => this.onOpen(conn, info),
    onMessage: (conn, bytes) => this.onMessage(conn, bytes),
    onDrain: (conn) => this.sessions.get(conn.id)?.drainBacklog(),
    onClose: (conn, code) => this.onClose(conn, code),
  };
  /** Frames in and the rate limiters' clock, accounted once per loop iteration of reads. */
  private readonly readBatch: ReadBatch;

  constructor(
    private readonly hub: ConnectionHost,
    private readonly sessions: SessionTable,
    private readonly clock: Pick<HubClock, 'halted'>,
    private readonly idleRelease: IdleMemoryRelease,
    private readonly options: { maxBackpressureBytes: number; handshakeTimeoutMs: number },
    framesIn: { inc(n?: number): void },
  ) {
    this.readBatch = new ReadBatch((n) => framesIn.inc(n));
  }

  /**
   * Something threw outside a frame handler's own guard (a bug): the session that caused it
   * is closed with 1011, the process and every other session carry on.
   */
  sessionFailed(session: Session, err: Error, where: string): void {
    this.hub.log.error({ session: session.id, where, err: err.message }, 'session failed');
    try {
      session.conn.close(CloseCode.INTERNAL_ERROR, 'internal error; see the hub log');
    } catch {
      // already gone
    }
  }

  private onOpen(conn: Connection, _info: UpgradeInfo): void {
    this.idleRelease.noteActivity();
    const session = new Session(
      conn,
      this.options.maxBackpressureBytes * 16,
      (s) => {
        this.hub.log.warn({ session: s.id }, 'client does not read its frames; closing');
        s.close(CloseCode.PROTOCOL_ABUSE, 'too many unread frames');
      },
      this.sessions.scheduleFlush,
      (s, frame, err) =>
        this.hub.log.error(
          { session: s.id, frame: frame.t, err: err.message },
          'could not encode a frame; sent an error frame instead',
        ),
    );
    this.sessions.add(session);
    if (this.hub.phase !== HubPhase.ready) {
      conn.close(CloseCode.GOING_AWAY, 'hub is not accepting connections');
      return;
    }
    session.handshakeTimer = setTimeout(() => {
      if (session.state !== SessionState.open) {
        this.hub.metrics.limitHit(LimitName.handshakeTimeout);
        conn.close(CloseCode.HANDSHAKE_TIMEOUT, 'no hello within the handshake timeout');
      }
    }, this.options.handshakeTimeoutMs);
    session.handshakeTimer.unref();
    session.rateLimiter = RateLimiter.create(this.hub.limits, this.readBatch.now());
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

  private handleMessage(session: Session, bytes: Uint8Array): void {
    this.readBatch.frame();
    const limiter = session.rateLimiter;
    if (limiter !== undefined) {
      const verdict = limiter.take(bytes.length, this.readBatch.now());
      if (verdict !== RateVerdict.ok && this.overRate(session, limiter, verdict)) return;
    }
    const decoded = decodeClientFrame(bytes, this.hub.maxFrameBytes);
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
        this.hub,
        session,
        frame,
      );
    } catch (err) {
      this.hub.log.error({ err, frame: frame.t, session: session.id }, 'frame handler failed');
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
      this.hub.metrics.limitHit(LimitName.rateClosed);
      this.hub.log.warn({ session: session.id }, 'client kept sending over its rate; closing');
      session.close(CloseCode.RATE_LIMITED, 'over the frame or byte rate after a warning');
      return true;
    }
    this.hub.metrics.limitHit(LimitName.rateWarned);
    session.sendError(
      ErrorCode.RATE_LIMITED,
      `over ${limiter.describe()}: slow down, or the hub closes this connection with 4029`,
    );
    return false;
  }

  private protocolError(session: Session, code: string, message: string, id?: number): void {
    this.hub.metrics.protocolErrors.labels(code).inc();
    session.sendError(code, message, id);
    if (++session.protocolErrors > MAX_PROTOCOL_ERRORS) {
      session.close(CloseCode.PROTOCOL_ABUSE, 'too many protocol errors');
    }
  }

  private onClose(conn: Connection, code: number): void {
    const session = this.sessions.get(conn.id);
    if (!session) return;
    const workerId = this.sessions.remove(session);
    this.hub.liveGrants.remove(conn.id);
    session.state = SessionState.closed;
    clearTimeout(session.handshakeTimer);
    if (!this.clock.halted && this.hub.core.bus.bySession.has(session.id))
      this.hub.gateway.bus.sessionClosed(session.id);
    if (workerId !== undefined && !this.clock.halted) {
      if (this.hub.core.workers.has(workerId)) {
        this.hub.execute({
          type: 'worker.disconnect',
          now: this.hub.now(),
          workerId,
          session: session.id,
        });
      }
      this.hub.log.debug({ worker: workerId, code }, 'worker connection closed');
    }
  }
}
