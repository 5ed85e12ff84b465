import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { WebSocket, WebSocketServer } from 'ws';
import { lazyRequire } from '../support/lazy-require.js';

const wsModule = lazyRequire<typeof import('ws')>('ws');
import {
  SendStatus,
  type Connection,
  type SendStatusValue,
  type SocketHandlers,
  type SocketServer,
  type SocketServerOptions,
} from './socket-server.js';
import { createNodeServer } from './tls-options.js';
import { REFUSAL_RETRY_AFTER_S } from './connection-caps.js';
import { answerClientErrors, slowClientOptions } from './node-http-limits.js';

let nextId = 1;

class WsConnection implements Connection {
  readonly id = `c${(nextId++).toString(36)}`;
  closed = false;
  private waitingDrain = false;

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
    private readonly limit: number,
    private readonly onDrain: () => void,
  ) {}

  send(bytes: Uint8Array): SendStatusValue {
    if (this.closed) return SendStatus.DROPPED;
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.limit * 4) return SendStatus.DROPPED;
    // ws copies the data into its own frame buffer before returning, so the caller's
    // (shared encoder) buffer may be reused right away.
    this.ws.send(bytes, { binary: true });
    if (this.ws.bufferedAmount > this.limit) {
      this.watchDrain();
      return SendStatus.BACKPRESSURE;
    }
    return SendStatus.SENT;
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  cork(fn: () => void): void {
    fn();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  /** `ws` has no drain event per socket; poll the socket's own buffer until it empties. */
  private watchDrain(): void {
    if (this.waitingDrain) return;
    this.waitingDrain = true;
    const check = (): void => {
      if (this.closed) return;
      if (this.ws.bufferedAmount <= this.limit / 2) {
        this.waitingDrain = false;
        this.onDrain();
      } else setTimeout(check, 5);
    };
    setTimeout(check, 5);
  }
}

/** The fallback transport: the `ws` package on node:http (node:https with TLS). Same behaviour, slower. */
export class WsSocketServer implements SocketServer {
  readonly kind = 'ws' as const;
  private readonly http: Server | HttpsServer;
  private readonly wss: WebSocketServer;
  private readonly open = new Set<WsConnection>();

  constructor(
    private readonly options: SocketServerOptions,
    handlers: SocketHandlers,
  ) {
    this.http = createNodeServer(
      options.tls,
      slowClientOptions(options.headersTimeoutMs ?? 10_000, options.headersTimeoutMs ?? 10_000),
      (_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' });
        res.end('This port speaks WebSocket only; see docs/protocol.md');
      },
    );
    this.wss = new (wsModule().WebSocketServer)({
      server: this.http,
      maxPayload: options.maxPayloadBytes,
      perMessageDeflate: false,
      // Refused before the upgrade completes (HTTP 503/429, JSON body); counted in 'connection'.
      verifyClient: (info, done) => {
        const refused = options.caps?.refusal(info.req.socket.remoteAddress ?? '');
        if (!refused) return done(true);
        // Spelled as ws spells its defaults ('Content-Type: text/html'), so this one
        // replaces it instead of going out as a second content-type header.
        done(false, refused.status, refused.body, {
          'Content-Type': 'application/json; charset=utf-8',
          'Retry-After': String(REFUSAL_RETRY_AFTER_S),
        });
      },
    });
    // ws re-emits the HTTP server's errors (EADDRINUSE at listen) on itself; listen() already
    // rejects with them, and an 'error' nobody listens to would be an uncaught exception.
    this.wss.on('error', () => {});
    answerClientErrors(this.http, options.onRequestTimeout ?? (() => {}));
    this.wss.on('connection', (ws, req) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string') headers[k] = v;
      }
      const conn = new WsConnection(
        ws,
        req.socket.remoteAddress ?? '',
        options.maxBackpressureBytes,
        () => handlers.onDrain(conn),
      );
      this.open.add(conn);
      options.caps?.add(conn.remoteAddress);
      let alive = true;
      ws.on('pong', () => {
        alive = true;
      });
      const pinger = setInterval(
        () => {
          if (!alive) {
            ws.terminate();
            return;
          }
          alive = false;
          ws.ping();
        },
        (options.idleTimeoutSec * 1000) / 2,
      );
      pinger.unref();
      ws.on('message', (data, isBinary) => {
        const bytes = Array.isArray(data)
          ? Buffer.concat(data)
          : data instanceof ArrayBuffer
            ? new Uint8Array(data)
            : data;
        handlers.onMessage(conn, bytes, isBinary);
      });
      ws.on('close', (code, reason) => {
        clearInterval(pinger);
        conn.closed = true;
        this.open.delete(conn);
        options.caps?.remove(conn.remoteAddress);
        handlers.onClose(conn, code, reason.toString());
      });
      ws.on('error', () => {
        // 'close' follows; ws reports protocol errors (e.g. too-big frames) here.
      });
      handlers.onOpen(conn, { url: req.url ?? '/', headers });
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port, this.options.host, () => {
        this.http.off('error', reject);
        const addr = this.http.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.options.port);
      });
    });
  }

  stopListening(): void {
    this.http.close();
  }

  async close(): Promise<void> {
    for (const conn of [...this.open]) conn.close(1001, 'hub shutting down');
    await new Promise((r) => setTimeout(r, 50));
    for (const conn of [...this.open]) conn.terminate();
    this.wss.close();
    this.http.close();
    this.http.closeAllConnections?.();
  }
}
