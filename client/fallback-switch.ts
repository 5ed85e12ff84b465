import { FrameType, type HubFrame, type WelcomeFrame } from '../protocol/index.js';
import { AuthError, HubError } from './errors.js';
import {
  HttpFallbackSession,
  isRefusedUpgrade,
  type HttpFallbackOptions,
} from './http-fallback.js';
import { HubUrlList } from './hub-urls.js';
import type { RequestFrame } from './request-table.js';
import { unref } from './timers.js';
import { socketFactory } from './web-socket.js';

/** What the switch needs of the connection's options (ConnectionOptions fits). */
export interface FallbackSwitchOptions {
  token?: string | undefined;
  clientName?: string | undefined;
  connectTimeoutMs?: number | undefined;
  ca?: string | Buffer | undefined;
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
}

/** The connection, as the switch tells it what the HTTP session does. */
export interface FallbackHost {
  /** The connection was closed (by the client or for good): nothing starts again. */
  closing(): boolean;
  /** The WebSocket URL a reconnect would try now. */
  webSocketUrl(): string;
  nextRequestId(): number;
  /** A frame that is not a reply (a task push, a result). */
  onFrame(frame: HubFrame): void;
  /** A reply, told before the request that asked for it resolves (as on a socket). */
  onReply(frame: HubFrame): void;
  /** The hub welcomed the HTTP session; the promise is the session's restore (onReady). */
  onWelcome(welcome: WelcomeFrame): Promise<void> | undefined;
  /** The HTTP session is ready. */
  onUp(url: string, reason: string): void;
  /** The hub refused the token over HTTP: as fatal as close 4001/4003 on a WebSocket. */
  onRefused(err: AuthError): void;
  /** The HTTP session lost the hub: reconnect (WebSocket first) or give up. */
  onLost(url: string, err: Error): void;
  /** A WebSocket opened again: the HTTP session is over, a WebSocket connect follows. */
  onLeft(): void;
  connect(): void;
}

/**
 * When to work over HTTP instead of WebSocket (upgrades refused on the way, or a runtime
 * without WebSocket), the HTTP session while it lasts, and the probe that goes back to
 * WebSocket once an upgrade works again. The connection asks `session` on its hot path.
 */
export class FallbackSwitch {
  /** The HTTP session while WebSocket upgrades are refused. */
  session: HttpFallbackSession | undefined;
  private urls: HubUrlList | undefined;
  /** Connects in a row whose upgrade was refused on the way. */
  private refusedConnects = 0;
  private webSocketRetry: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly fb: HttpFallbackOptions,
    private readonly options: FallbackSwitchOptions,
    private readonly host: FallbackHost,
  ) {}

  /** A WebSocket session was made: the refusals counted so far were not in a row. */
  webSocketUp(): void {
    this.refusedConnects = 0;
  }

  /**
   * A connect failed before its session: after `httpFallback.afterFailures` connects in a
   * row whose upgrade was refused on the way (not a hub that is down or refused the client),
   * work over HTTP instead. True when it does.
   */
  onConnectFailed(err: Error | undefined, reason: string): boolean {
    if (!isRefusedUpgrade(err)) {
      this.refusedConnects = 0;
      return false;
    }
    if (++this.refusedConnects < (this.fb.afterFailures ?? 2)) return false;
    this.refusedConnects = 0;
    void this.start(reason);
    return true;
  }

  async start(reason: string): Promise<void> {
    this.urls ??= new HubUrlList(this.fb.httpUrl, 'http', 'httpFallback.httpUrl');
    const { ca, cert, key } = this.options;
    const host = this.host;
    const session: HttpFallbackSession = new HttpFallbackSession(
      this.urls,
      {
        token: this.options.token,
        tls: { ca, cert, key },
        pollWaitMs: this.fb.pollWaitMs,
        clientName: this.options.clientName,
      },
      (frame) => host.onFrame(frame),
      (err) => this.lost(session, err),
    );
    this.session = session;
    try {
      const ready = host.onWelcome(
        (await session.request({ t: FrameType.hello, id: 0 })) as WelcomeFrame,
      );
      if (ready) await ready;
      if (this.session !== session) return;
      host.onUp(session.url, reason);
      this.retryWebSocketLater();
    } catch (err) {
      if (this.session !== session) return;
      const e = err as Error;
      if (e instanceof HubError && (e.code === 'UNAUTHORIZED' || e.code === 'FORBIDDEN')) {
        this.session = undefined;
        void session.close();
        host.onRefused(AuthError.fromClose(e.code === 'UNAUTHORIZED' ? 4001 : 4003, e.message));
        return;
      }
      this.lost(session, e);
    }
  }

  /** A request over the HTTP session; its reply is told to the host first. */
  async request(session: HttpFallbackSession, frame: Omit<RequestFrame, 'id'>): Promise<HubFrame> {
    const id = this.host.nextRequestId();
    const reply = await session.request({ ...frame, id } as RequestFrame);
    this.host.onReply(reply);
    return reply;
  }

  /** Ends the HTTP session and the WebSocket probe (the connection is closing). */
  async close(): Promise<void> {
    clearTimeout(this.webSocketRetry);
    const session = this.session;
    this.session = undefined;
    await session?.close();
  }

  /** The HTTP session failed (the hub is out of reach). */
  private lost(session: HttpFallbackSession, err: Error): void {
    if (this.session !== session) return;
    this.session = undefined;
    clearTimeout(this.webSocketRetry);
    void session.close();
    if (!this.host.closing()) this.urls?.advance();
    this.host.onLost(session.url, err);
  }

  /**
   * While on HTTP, open a WebSocket now and then; once one opens, the HTTP session ends and
   * the connection makes a WebSocket session (the worker registers again, claiming what it
   * runs; the producer watches again what it waits for).
   */
  private retryWebSocketLater(): void {
    const every = this.fb.retryWebSocketMs ?? 30_000;
    if (every <= 0) return;
    clearTimeout(this.webSocketRetry);
    this.webSocketRetry = setTimeout(() => {
      const session = this.session;
      const open = socketFactory();
      if (!session || !open || this.host.closing()) return;
      const probe = open(this.host.webSocketUrl(), {
        maxPayload: 1024,
        handshakeTimeout: this.options.connectTimeoutMs ?? 10_000,
        ca: this.options.ca,
        cert: this.options.cert,
        key: this.options.key,
      });
      let opened = false;
      probe.on('error', () => undefined);
      probe.on('open', () => {
        opened = true;
        probe.close(1000, 'probe');
      });
      probe.on('close', () => {
        if (this.session !== session || this.host.closing()) return;
        if (!opened) {
          this.retryWebSocketLater();
          return;
        }
        this.session = undefined;
        this.host.onLeft();
        void session.close().then(() => {
          if (!this.host.closing()) this.host.connect();
        });
      });
    }, every);
    unref(this.webSocketRetry);
  }
}
