/**
 * What a Producer's or Worker's connection is doing, as events (`on('status')`, `status()`)
 * and as one current state (`state`, `stats().state`). Shared by every transport: the
 * WebSocket connection reports all but `fallback`; an HTTP fallback transport reports
 * `fallback` when it takes over and `connecting`/`connected` when WebSocket works again.
 */

/** The state names a health check can act on. */
export type ConnectionState =
  /** No session yet (the first connect). */
  | 'connecting'
  /** A WebSocket session is up. */
  | 'connected'
  /** A session was lost; the connection is trying again. */
  | 'reconnecting'
  /** WebSocket could not be opened; the client works over the hub's HTTP routes. */
  | 'fallback'
  /** Finishing what it holds (a Worker's close(), or the hub asked it to drain); no new work. */
  | 'draining'
  /** Over for good: close(), a fatal refusal, or reconnects exhausted. */
  | 'closed';

/** One status change, as a discriminated union on `type` (nats.js style). */
export type ConnectionStatus =
  /** `url`: the hub being tried. */
  | { type: 'connecting'; url: string }
  /** `url`: the hub this session is on. */
  | { type: 'connected'; sessionId: string; role: string; url: string }
  /** `url`: the hub that was lost or refused. */
  | { type: 'disconnected'; code: number; reason: string; url: string }
  /**
   * The next try, on `url`, in `delayMs`. `attempt` counts the failed rounds (every URL tried
   * once); moving on to the next URL within a round has `delayMs` 0.
   */
  | { type: 'reconnecting'; attempt: number; delayMs: number; url: string }
  /**
   * Working over HTTP (`transport`) at `url` because WebSocket could not be opened;
   * `reason` says why (the refused upgrade, the missing WebSocket).
   */
  | { type: 'fallback'; transport: 'http'; url: string; reason: string }
  /** `reason`: 'close' for the client's own close(), else what the hub said. */
  | { type: 'draining'; reason: string }
  /** `reason`: why it ended, when it was not the client's own close(). */
  | { type: 'closed'; reason?: string }
  | { type: 'error'; error: Error };

/**
 * The state after `status`. Each change names its state, with two exceptions: `closed` is
 * final, and while in `fallback` the tries to get WebSocket back (connecting, disconnected,
 * reconnecting) do not change it, since the client still works over HTTP meanwhile.
 * `error` is a report only. `draining` lasts until the next connection change.
 */
export function nextState(
  current: ConnectionState,
  status: ConnectionStatus,
  hadSession: boolean,
): ConnectionState {
  if (current === 'closed') return current;
  switch (status.type) {
    case 'connecting':
    case 'reconnecting':
      if (current === 'fallback') return current;
      return hadSession ? 'reconnecting' : 'connecting';
    case 'disconnected':
      if (current === 'fallback') return current;
      return hadSession ? 'reconnecting' : 'connecting';
    case 'connected':
    case 'fallback':
    case 'draining':
    case 'closed':
      return status.type;
    case 'error':
      return current;
  }
}

/** Counters of one connection, for health checks and dashboards. */
export interface ConnectionStats {
  state: ConnectionState;
  /** The hub of the current session (undefined without one). */
  url: string | undefined;
  /** Sessions made after the first (reconnects that succeeded). */
  reconnects: number;
  /** Requests sent and not yet answered. */
  pendingRequests: number;
  framesSent: number;
  framesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /**
   * Round trip of the last heartbeat (or of the handshake, before the first heartbeat), ms;
   * undefined before the first session.
   */
  lastRttMs: number | undefined;
  /** The last error this connection reported (a refusal, a lost socket), with when (ms epoch). */
  lastError: { message: string; code?: string | number; at: number } | undefined;
}

/** What a Worker adds to its connection's counters. */
export interface WorkerStats extends ConnectionStats {
  /** Handlers running now. */
  inFlight: number;
  /** Attempts whose handler returned (outcome sent or queued). */
  completed: number;
  /** Attempts whose handler threw. */
  failed: number;
  /** Cancel / timeout / lease-lost notices the hub sent for running attempts. */
  aborted: number;
}

/** What a Producer adds to its connection's counters. */
export interface ProducerStats extends ConnectionStats {
  /** Tasks the hub accepted from this producer (submit, submitMany, flows, transactions). */
  submitted: number;
  /** Final results received (completed, dead, expired, cancelled). */
  results: number;
  /** Task ids a `result()` call is waiting on. */
  awaitingResults: number;
}

/**
 * An async iterator over status changes, fed by `push`. It buffers up to `limit` changes a
 * slow reader has not taken yet (older ones are dropped: a health check wants the latest),
 * and ends after `closed`, or when the reader breaks out of its loop.
 */
export class StatusStream implements AsyncIterableIterator<ConnectionStatus> {
  private readonly buffer: ConnectionStatus[] = [];
  private waiting: ((r: IteratorResult<ConnectionStatus>) => void) | undefined;
  private ended = false;

  constructor(
    private readonly onEnd: (s: StatusStream) => void,
    private readonly limit = 128,
  ) {}

  push(status: ConnectionStatus): void {
    if (this.ended) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: status, done: false });
    } else {
      this.buffer.push(status);
      if (this.buffer.length > this.limit) this.buffer.shift();
    }
    if (status.type === 'closed') this.end();
  }

  next(): Promise<IteratorResult<ConnectionStatus>> {
    const value = this.buffer.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<ConnectionStatus>> {
    this.buffer.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(this);
    const w = this.waiting;
    this.waiting = undefined;
    w?.({ value: undefined, done: true });
  }
}
