import {
  decodeRaw,
  encodeFrame,
  ErrorCode,
  FATAL_CLOSE_CODES,
  FrameType,
  PROTOCOL_VERSION,
  STOP_CLOSE_CODES,
  type HubFrame,
  type WelcomeFrame,
} from '../protocol/index.js';
import { AuthError, ConnectionClosedError, HubError } from './errors.js';
import { FallbackSwitch, type FallbackHost } from './fallback-switch.js';
import { Heartbeat } from './heartbeat.js';
import { HubUrlList } from './hub-urls.js';
import { TypedEmitter } from './typed-emitter.js';
import type { ConnectionOptions } from './connection-options.js';
import type { ConnectionState, ConnectionStats, ConnectionStatus } from './connection-status.js';
import { ConnectionTracker } from './connection-tracker.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { RequestTable, type RequestFrame } from './request-table.js';
import { unref } from './timers.js';
import {
  describeSocketError,
  loadSocketFactory,
  socketFactory,
  socketOf,
  SOCKET_CLOSED,
  SOCKET_OPEN,
  type HubSocket,
} from './web-socket.js';

export type { ConnectionOptions, ReconnectOptions } from './connection-options.js';
export type { ConnectionState, ConnectionStatus, ConnectionStats } from './connection-status.js';
export { TAKEOVER_MAX_DELAY_MS } from './reconnect-backoff.js';

export interface ConnectionEvents extends Record<string, unknown> {
  status: ConnectionStatus;
  /** Frames that are not replies to a request (task pushes, results, notices). */
  frame: HubFrame;
  /**
   * A reply, emitted before the request that asked for it resolves: what it tells (a
   * submitted task's id) is recorded before the next frame of the same read is handled,
   * which may be that task's result.
   */
  reply: HubFrame;
  error: Error;
}

const REPLY_TYPES: ReadonlySet<string> = new Set([
  FrameType.welcome,
  FrameType.registered,
  FrameType.submitted,
  FrameType.submittedMany,
  FrameType.ack,
  FrameType.published,
  FrameType.response,
  FrameType.committed,
  FrameType.flowSubmitted,
]);

/**
 * One logical connection to the hub that survives reconnects. It does the handshake,
 * matches replies to requests by id, sends heartbeats, and reconnects with exponential
 * backoff and full jitter. `onReady` runs after every (re)connect before the connection
 * reports ready, so Worker and Producer can restore their session (register, watch).
 */
export class Connection extends TypedEmitter<ConnectionEvents> {
  private ws: HubSocket | undefined;
  /** Working over HTTP while WebSocket upgrades are refused (options.httpFallback only). */
  private readonly fallback: FallbackSwitch | undefined;
  /** The runtime's WebSocket is being loaded (the first connect). */
  private loadingSocket = false;
  private readonly requests = new RequestTable();
  private readonly heartbeat = new Heartbeat(
    () => this.sendRaw({ t: FrameType.heartbeat, id: 0 }),
    () => this.ws?.terminate(),
  );
  /** State, counters and status streams; `counters` is the tracker's, bumped per frame. */
  private readonly tracker = new ConnectionTracker();
  private readonly counters = this.tracker.counters;
  private readonly backoff: ReconnectBackoff;
  private readonly urls: HubUrlList;
  private connectedUrl: string | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closing = false;
  /** The socket's last error (a refused certificate, a refused port): said when giving up. */
  private lastSocketError: Error | undefined;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private isReady = false;
  welcome: WelcomeFrame | undefined;
  onReady: (() => Promise<void>) | undefined;

  constructor(private readonly options: ConnectionOptions) {
    super();
    this.urls = new HubUrlList(options.url, 'ws');
    this.backoff = new ReconnectBackoff(options.reconnect ?? {});
    if (options.httpFallback)
      this.fallback = new FallbackSwitch(options.httpFallback, options, this.fallbackHost());
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** The hub this connection has a session on; undefined while it has none. */
  get url(): string | undefined {
    return this.connectedUrl;
  }

  /** Every hub this connection may use, in the order given. */
  get hubUrls(): readonly string[] {
    return this.urls.all;
  }

  /** What the connection is doing now (connection-status.ts). */
  get state(): ConnectionState {
    return this.tracker.state;
  }

  /** This connection's counters, as of now (a fresh object each call). */
  stats(): ConnectionStats {
    return this.tracker.stats(this.connectedUrl, this.requests.size);
  }

  /**
   * The status changes from now on, as an async iterator that ends after `closed` (or when
   * the loop breaks). For the state right now, read `state`.
   */
  status(): AsyncIterableIterator<ConnectionStatus> {
    return this.tracker.stream();
  }

  /**
   * A status change that another part of the client knows of (a Worker draining, an HTTP
   * fallback transport taking over): it goes into the same stream and state as the socket's.
   */
  report(status: ConnectionStatus): void {
    this.emit('status', status);
  }

  protected override emit<K extends keyof ConnectionEvents & string>(
    event: K,
    payload: ConnectionEvents[K],
  ): void {
    if (event === 'status') this.tracker.track(payload as ConnectionStatus);
    else if (event === 'error') this.tracker.noteError(payload as Error);
    super.emit(event, payload);
  }

  /** Connect; resolves when the first session is ready, rejects on a fatal refusal. */
  start(): Promise<void> {
    if (this.isReady) return Promise.resolve();
    const p = this.waitReady();
    if (!this.ws && !this.reconnectTimer && !this.fallback?.session && !this.loadingSocket)
      this.connect();
    return p;
  }

  /** Resolves when connected and ready (now, or after the reconnect in progress). */
  waitReady(): Promise<void> {
    if (this.isReady) return Promise.resolve();
    if (this.closing) return Promise.reject(new ConnectionClosedError('connection closed'));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** Send a request and wait for its reply (or error frame) — waits for readiness first. */
  request(frame: Omit<RequestFrame, 'id'>, timeoutMs?: number): Promise<HubFrame> {
    if (this.isReady) return this.requestNow(frame, timeoutMs);
    return this.waitReady().then(() => this.requestNow(frame, timeoutMs));
  }

  /**
   * Send a request on the current socket, ready or not (used during the handshake). The
   * frame is given its request id in place: callers pass frames they built for this call.
   */
  requestNow(frame: Omit<RequestFrame, 'id'>, timeoutMs?: number): Promise<HubFrame> {
    const session = this.fallback?.session;
    if (session) return this.fallback!.request(session, frame);
    const id = this.requests.nextId();
    const ms = timeoutMs ?? this.options.requestTimeoutMs ?? 30_000;
    const req = frame as RequestFrame;
    req.id = id;
    return new Promise<HubFrame>((resolve, reject) => {
      // MUST: encodeFrame returns the shared encoder buffer; it is sent before the next encode.
      const bytes = encodeFrame(req);
      const max = this.welcome?.maxFrameBytes;
      if (max !== undefined && bytes.byteLength > max) {
        // The hub could not even read the request id of such a frame to answer it.
        reject(
          HubError.fromFrame({
            code: ErrorCode.FRAME_TOO_LARGE,
            message: `${frame.t} frame of ${bytes.byteLength} bytes exceeds the hub's limit of ${max} bytes (server.maxFrameBytes); send fewer or smaller tasks per call`,
          }),
        );
        return;
      }
      if (!this.sendBytes(bytes)) {
        reject(new ConnectionClosedError('not connected'));
        return;
      }
      this.requests.add(id, resolve, reject, req.t, ms);
    });
  }

  /** Fire-and-forget. Returns false when there is no open socket (the caller keeps the frame). */
  send(frame: object): boolean {
    if (!this.isReady) return false;
    return this.sendRaw(frame);
  }

  private sendRaw(frame: object): boolean {
    const session = this.fallback?.session;
    if (session) return session.send(frame as RequestFrame);
    return this.sendBytes(encodeFrame(frame));
  }

  private sendBytes(bytes: Uint8Array): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== SOCKET_OPEN) return false;
    // Frames sent in one event-loop turn leave in one corked write (one syscall instead of
    // one per frame): a worker finishing 100 tasks at once sends 100 completes together.
    // (Node's `ws` only: a browser's WebSocket has no socket to cork.)
    if (!this.corked) {
      const socket = socketOf(ws);
      if (socket) {
        this.corked = true;
        socket.cork();
        setImmediate(this.uncork);
      }
    }
    // Both copy the bytes before returning: the shared encoder buffer may be reused after.
    ws.send(bytes);
    this.counters.framesSent++;
    this.counters.bytesSent += bytes.byteLength;
    return true;
  }

  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    const socket = this.ws ? socketOf(this.ws) : undefined;
    if (socket && socket.writableCorked > 0) socket.uncork();
  };

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    this.heartbeat.stop();
    await this.fallback?.close();
    const ws = this.ws;
    this.failPending(new ConnectionClosedError('connection closed by the client'));
    for (const w of this.readyWaiters.splice(0))
      w.reject(new ConnectionClosedError('connection closed by the client'));
    if (ws && ws.readyState !== SOCKET_CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000, 'client closing');
        const timer = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000);
        unref(timer);
      });
    }
    this.isReady = false;
    this.connectedUrl = undefined;
    this.emit('status', { type: 'closed' });
  }

  private connect(): void {
    const open = socketFactory();
    if (!open) {
      // The first connect loads the runtime's WebSocket (`ws` in Node), then goes on.
      this.loadingSocket = true;
      loadSocketFactory().then(
        () => {
          this.loadingSocket = false;
          if (!this.closing) this.connect();
        },
        (err: Error) => {
          this.loadingSocket = false;
          if (this.closing) return;
          // A runtime without WebSocket: HTTP is the only way there is.
          if (this.fallback) {
            void this.fallback.start(`no WebSocket here: ${err.message}`);
            return;
          }
          this.closing = true;
          this.emit('error', err);
          this.end(err);
        },
      );
      return;
    }
    const url = this.urls.current;
    this.emit('status', { type: 'connecting', url });
    const { ca, cert, key } = this.options;
    const ws = open(url, {
      maxPayload: 64 * 1024 * 1024,
      handshakeTimeout: this.options.connectTimeoutMs ?? 10_000,
      ca,
      cert,
      key,
    });
    this.ws = ws;
    ws.on('open', () => {
      void this.handshake(ws, url);
    });
    ws.on('message', (data) => this.onMessage(data));
    ws.on('error', (err) => {
      // 'close' always follows; the reason is reported there.
      this.lastSocketError = err;
    });
    ws.on('close', (code, reasonBuf) => this.onClose(ws, url, code, reasonBuf.toString()));
  }

  private async handshake(ws: HubSocket, url: string): Promise<void> {
    try {
      const helloAt = Date.now();
      const welcome = (await this.requestNow(
        {
          t: FrameType.hello,
          protocol: PROTOCOL_VERSION,
          ...(this.options.token ? { token: this.options.token } : {}),
          ...(this.options.clientName ? { client: this.options.clientName } : {}),
        },
        10_000,
      )) as WelcomeFrame;
      this.welcome = welcome;
      this.counters.lastRttMs = Date.now() - helloAt;
      this.heartbeat.start(welcome.heartbeatMs);
      if (this.onReady) await this.onReady();
      if (this.ws !== ws) return;
      this.backoff.sessionMade();
      this.lastSocketError = undefined;
      this.fallback?.webSocketUp();
      this.connectedUrl = url;
      this.isReady = true;
      this.emit('status', {
        type: 'connected',
        sessionId: welcome.sessionId,
        role: welcome.role,
        url,
      });
      for (const w of this.readyWaiters.splice(0)) w.resolve();
    } catch (err) {
      // The close handler decides what happens next; a failed handshake just drops the socket.
      if (!(err instanceof ConnectionClosedError)) this.emit('error', err as Error);
      ws.terminate();
    }
  }

  private onMessage(data: Uint8Array): void {
    this.heartbeat.frames++;
    this.counters.framesReceived++;
    this.counters.bytesReceived += data.byteLength;
    let frame: HubFrame;
    try {
      frame = decodeRaw(data) as HubFrame;
    } catch (err) {
      this.emit('error', new Error(`undecodable frame from hub: ${(err as Error).message}`));
      return;
    }
    if (!frame || typeof frame !== 'object' || typeof (frame as { t?: unknown }).t !== 'string')
      return;
    if (frame.t === FrameType.error && frame.id !== undefined) {
      const p = this.requests.take(frame.id);
      if (p) {
        p.reject(HubError.fromFrame(frame));
        return;
      }
    }
    if (REPLY_TYPES.has(frame.t) && 'id' in frame && typeof frame.id === 'number') {
      const p = this.requests.take(frame.id);
      if (p) {
        this.emit('reply', frame);
        p.resolve(frame);
        return;
      }
      if (frame.id === 0 && frame.t === FrameType.ack) {
        const rtt = this.heartbeat.acked();
        if (rtt !== undefined) this.counters.lastRttMs = rtt;
      }
    }
    this.emit('frame', frame);
  }

  private onClose(ws: HubSocket, url: string, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.ws = undefined;
    // A session that was up ends here; otherwise it is this URL's try that failed.
    const hadSession = this.isReady;
    this.isReady = false;
    this.connectedUrl = undefined;
    this.heartbeat.stop();
    this.failPending(
      new ConnectionClosedError(`connection lost (${code}${reason ? ` ${reason}` : ''})`, code),
    );
    if (this.closing) return;
    const socketError = this.lastSocketError;
    const cause = socketError ? describeSocketError(socketError) : '';
    this.lastSocketError = undefined;
    this.emit('status', { type: 'disconnected', code, reason: reason || cause, url });
    this.backoff.closedWith(code);
    if (FATAL_CLOSE_CODES.has(code)) {
      const verb = code === 4004 || code === 4005 ? 'closed' : 'refused';
      const err = AuthError.fromClose(code, `hub ${verb} the connection: ${reason || code}`);
      this.closing = true;
      this.emit('status', { type: 'error', error: err });
      this.emit('error', err);
      this.end(err, err.message);
      return;
    }
    if (STOP_CLOSE_CODES.has(code)) {
      // The hub ended this session on purpose (e.g. the worker was unregistered): coming back
      // would undo that, so this connection is over.
      const err = new ConnectionClosedError(`the hub ended this session: ${reason || code}`, code);
      this.end(err, err.message);
      return;
    }
    if (!hadSession && this.fallback?.onConnectFailed(socketError, cause || `close ${code}`))
      return;
    if (!hadSession) {
      this.urls.advance();
      if (this.backoff.failedOne(this.urls.size)) {
        // Another hub of this round has not been tried: no reason to wait for it.
        this.retry(0);
        return;
      }
      // Round over; the next one starts after the hub that failed last (round robin).
    }
    this.backoff.endRound();
    if (this.backoff.exhausted()) {
      const where = !hadSession && this.urls.size > 1 ? ` (every hub of ${this.urls} tried)` : '';
      const err = new ConnectionClosedError(
        `connection lost (${code}${cause ? `: ${cause}` : ''}) and reconnect is off or exhausted${where}`,
        code,
      );
      this.tracker.noteError(err);
      this.end(err, err.message);
      return;
    }
    this.retry(this.backoff.nextDelay(true));
  }

  /** Tell the next try and make it in `delayMs`. */
  private retry(delayMs: number): void {
    this.emit('status', {
      type: 'reconnecting',
      attempt: this.backoff.attempt,
      delayMs,
      url: this.urls.current,
    });
    this.schedule(delayMs);
  }

  /** This connection is over for good: `err` rejects whoever waits for it to be ready. */
  private end(err: Error, reason?: string): void {
    this.closing = true;
    for (const w of this.readyWaiters.splice(0)) w.reject(err);
    this.emit('status', reason === undefined ? { type: 'closed' } : { type: 'closed', reason });
  }

  private schedule(delayMs: number): void {
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closing) this.connect();
    }, delayMs);
  }

  /** The connection as the HTTP fallback sees it (fallback-switch.ts); made once. */
  private fallbackHost(): FallbackHost {
    return {
      closing: () => this.closing,
      webSocketUrl: () => this.urls.current,
      nextRequestId: () => this.requests.nextId(),
      onFrame: (frame) => this.emit('frame', frame),
      onReply: (frame) => this.emit('reply', frame),
      onWelcome: (welcome) => {
        this.welcome = welcome;
        return this.onReady?.();
      },
      onUp: (url, reason) => {
        this.backoff.fallbackMade();
        this.connectedUrl = url;
        this.isReady = true;
        this.emit('status', { type: 'fallback', transport: 'http', url, reason });
        for (const w of this.readyWaiters.splice(0)) w.resolve();
      },
      onRefused: (err) => {
        this.closing = true;
        this.emit('status', { type: 'error', error: err });
        this.emit('error', err);
        this.end(err);
      },
      onLost: (url, err) => this.onFallbackLost(url, err),
      onLeft: () => {
        this.isReady = false;
        this.connectedUrl = undefined;
      },
      connect: () => this.connect(),
    };
  }

  /** The HTTP session failed (the hub is out of reach): reconnect, WebSocket first. */
  private onFallbackLost(url: string, err: Error): void {
    this.isReady = false;
    this.connectedUrl = undefined;
    if (this.closing) return;
    this.emit('status', { type: 'disconnected', code: 1006, reason: err.message, url });
    if (this.backoff.exhausted()) {
      const lost = `the HTTP fallback lost the hub (${err.message})`;
      this.end(new ConnectionClosedError(`${lost} and reconnect is off or exhausted`));
      return;
    }
    this.retry(this.backoff.nextDelay(false));
  }

  private failPending(err: Error): void {
    this.heartbeat.forget();
    this.requests.failAll(err);
  }
}
