import {
  nextState,
  StatusStream,
  type ConnectionState,
  type ConnectionStats,
  type ConnectionStatus,
} from './connection-status.js';

/** The counters a connection bumps as it goes (frames and bytes on its hot path). */
export interface ConnectionCounters {
  reconnects: number;
  sessions: number;
  framesSent: number;
  framesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  lastRttMs: number | undefined;
  lastError: ConnectionStats['lastError'];
}

/**
 * One connection's state, counters and status streams: every status change and error the
 * connection emits passes through `track`/`noteError`, so `state`, `stats()` and `status()`
 * agree with the events.
 */
export class ConnectionTracker {
  readonly counters: ConnectionCounters = {
    reconnects: 0,
    sessions: 0,
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    lastRttMs: undefined,
    lastError: undefined,
  };
  state: ConnectionState = 'connecting';
  private hadSession = false;
  private readonly streams = new Set<StatusStream>();

  track(status: ConnectionStatus): void {
    if (status.type === 'connected') {
      if (this.counters.sessions++ > 0) this.counters.reconnects++;
      this.hadSession = true;
    } else if (status.type === 'disconnected' && status.code !== 1000) {
      this.counters.lastError = {
        message: `connection lost (${status.code}${status.reason ? ` ${status.reason}` : ''})`,
        code: status.code,
        at: Date.now(),
      };
    } else if (status.type === 'error') this.noteError(status.error);
    this.state = nextState(this.state, status, this.hadSession);
    for (const s of this.streams) s.push(status);
  }

  noteError(err: Error): void {
    const code = (err as { code?: unknown }).code;
    this.counters.lastError = {
      message: err.message,
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
      at: Date.now(),
    };
  }

  /** The status changes from now on, ending after `closed` (or when the loop breaks). */
  stream(): AsyncIterableIterator<ConnectionStatus> {
    const stream = new StatusStream((s) => this.streams.delete(s));
    if (this.state === 'closed') void stream.return();
    else this.streams.add(stream);
    return stream;
  }

  /** The counters as of now (a fresh object each call). */
  stats(url: string | undefined, pendingRequests: number): ConnectionStats {
    const c = this.counters;
    return {
      state: this.state,
      url,
      reconnects: c.reconnects,
      pendingRequests,
      framesSent: c.framesSent,
      framesReceived: c.framesReceived,
      bytesSent: c.bytesSent,
      bytesReceived: c.bytesReceived,
      lastRttMs: c.lastRttMs,
      lastError: c.lastError,
    };
  }
}
