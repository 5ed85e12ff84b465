import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';
import {
  SendStatus,
  type Connection,
  type SendStatusValue,
  type SocketHandlers,
  type SocketServer,
  type SocketServerOptions,
} from './socket-server.js';
import { createUwsApp, relistenWithNewCertificate } from './uws-tls.js';
import { REFUSAL_RETRY_AFTER_S, statusText } from './connection-caps.js';

type UwsModule = typeof Uws;
const require = createRequire(import.meta.url);

/**
 * Load the native uWebSockets.js build for this Node ABI, or undefined. The package's own
 * loader silently swaps in a slow JS imitation when the binary is missing; we check for the
 * binary ourselves so we can fall back to `ws`, which we test, and say so.
 */
export function loadNativeUws(): { mod?: UwsModule; reason?: string } {
  const name = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    const pkgDir = require.resolve('uWebSockets.js/package.json').replace(/package\.json$/, '');
    const mod = require(`${pkgDir}binaries/${name}`) as UwsModule;
    if (typeof mod.App !== 'function') return { reason: `${name} has no App export` };
    // The native module prints a banner via console on load in some builds; harmless.
    return { mod };
  } catch (err) {
    return { reason: `${name} could not be loaded: ${(err as Error).message.split('\n')[0]}` };
  }
}

interface UserData {
  conn?: UwsConnection;
  url: string;
  headers: Record<string, string>;
}

let nextId = 1;

/** How far past the hard frame limit uWS reads, so an oversized frame still gets a 1009. */
export const UWS_READ_FACTOR = 2;

class UwsConnection implements Connection {
  readonly id = `c${(nextId++).toString(36)}`;
  closed = false;
  constructor(
    private readonly ws: Uws.WebSocket<UserData>,
    readonly remoteAddress: string,
  ) {}

  send(bytes: Uint8Array): SendStatusValue {
    if (this.closed) return SendStatus.DROPPED;
    return this.ws.send(bytes, true, false) as SendStatusValue;
  }

  bufferedAmount(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }

  cork(fn: () => void): void {
    if (this.closed) return;
    this.ws.cork(fn);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.end(code, reason);
  }
}

export class UwsSocketServer implements SocketServer {
  readonly kind = 'uws' as const;
  private app: Uws.TemplatedApp;
  private listenSocket: Uws.us_listen_socket | undefined;
  private readonly open = new Set<UwsConnection>();
  private readonly behavior: Uws.WebSocketBehavior<UserData>;
  private port = 0;

  constructor(
    private readonly uws: UwsModule,
    private readonly options: SocketServerOptions,
    handlers: SocketHandlers,
  ) {
    this.behavior = {
      compression: uws.DISABLED,
      // uWebSockets.js drops a connection whose frame exceeds maxPayloadLength without a
      // close frame (the peer sees 1006). Reading up to twice the hard limit lets us send the
      // documented 1009 for everything up to there; beyond it the library's cut applies.
      maxPayloadLength: options.maxPayloadBytes * UWS_READ_FACTOR,
      maxBackpressure: options.maxBackpressureBytes * 4,
      closeOnBackpressureLimit: 0,
      idleTimeout: options.idleTimeoutSec,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        // Refused here, before any WebSocket state exists: the cheapest place.
        const refused = options.caps?.refusal(Buffer.from(res.getRemoteAddressAsText()).toString());
        if (refused) {
          res
            .writeStatus(statusText(refused.status))
            .writeHeader('content-type', 'application/json; charset=utf-8')
            .writeHeader('retry-after', String(REFUSAL_RETRY_AFTER_S))
            .end(refused.body, true);
          return;
        }
        const headers: Record<string, string> = {};
        req.forEach((k, v) => {
          headers[k] = v;
        });
        const url = req.getUrl() + (req.getQuery() ? `?${req.getQuery()}` : '');
        res.upgrade<UserData>(
          { url, headers },
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => {
        const data = ws.getUserData();
        const addr = Buffer.from(ws.getRemoteAddressAsText()).toString();
        const conn = new UwsConnection(ws, addr);
        data.conn = conn;
        this.open.add(conn);
        options.caps?.add(addr);
        handlers.onOpen(conn, { url: data.url, headers: data.headers });
        // Nothing needs the upgrade request after open; 10,000 idle sockets should not
        // each keep a copy of their headers.
        data.headers = {};
        data.url = '';
      },
      message: (ws, message, isBinary) => {
        const conn = ws.getUserData().conn!;
        if (message.byteLength > options.maxPayloadBytes) {
          conn.close(1009, `frame of ${message.byteLength} bytes exceeds the hard limit`);
          return;
        }
        // MUST: `message` is freed when this callback returns; onMessage decodes synchronously.
        handlers.onMessage(conn, new Uint8Array(message), isBinary);
      },
      drain: (ws) => {
        handlers.onDrain(ws.getUserData().conn!);
      },
      close: (ws, code, message) => {
        const conn = ws.getUserData().conn!;
        conn.closed = true;
        this.open.delete(conn);
        options.caps?.remove(conn.remoteAddress);
        handlers.onClose(conn, code, Buffer.from(message).toString());
      },
    };
    this.app = this.createApp();
    options.tls?.onReload(() => this.reloadCertificate());
  }

  /** App or SSLApp (server.tls) with the WebSocket route and the 426 answer for plain HTTP. */
  private createApp(): Uws.TemplatedApp {
    return createUwsApp(this.uws, this.options.tls?.current)
      .ws<UserData>('/*', this.behavior)
      .any('/*', (res) => {
        res
          .writeStatus('426 Upgrade Required')
          .end('This port speaks WebSocket only; see docs/protocol.md');
      });
  }

  /**
   * uWebSockets.js cannot swap an app's certificate: a new SSLApp with the new certificate
   * takes over the port (SO_REUSEPORT) and the old listen socket closes. Connections
   * accepted by the old app stay on it with the session they negotiated.
   */
  private reloadCertificate(): void {
    if (!this.listenSocket) return;
    const next = this.createApp();
    this.listenSocket = relistenWithNewCertificate(
      this.uws,
      next,
      this.listenSocket,
      this.options.host,
      this.port,
    );
    this.retired.push(this.app);
    this.app = next;
  }

  /**
   * Apps replaced by a reload. They still own the connections they accepted; uWS keeps
   * them natively either way, this only makes the lifetime explicit (a few KB per reload).
   */
  private readonly retired: Uws.TemplatedApp[] = [];

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.app.listen(this.options.host, this.options.port, (socket) => {
        if (!socket) {
          reject(
            new Error(
              `cannot listen on ${this.options.host}:${this.options.port} (address in use or not permitted)`,
            ),
          );
          return;
        }
        this.listenSocket = socket;
        this.port = this.uws.us_socket_local_port(socket);
        if (this.options.tls && this.options.port === 0) {
          // uSockets sets SO_REUSEADDR/SO_REUSEPORT only when given a fixed port, and a
          // certificate reload needs them to take the port over while connections are
          // open. Nothing is connected yet: listen again on the port the kernel chose.
          this.uws.us_listen_socket_close(socket);
          this.listenSocket = undefined;
          this.app.listen(this.options.host, this.port, (again) => {
            if (again) this.listenSocket = again;
          });
          if (!this.listenSocket) {
            reject(new Error(`cannot listen again on ${this.options.host}:${this.port}`));
            return;
          }
        }
        resolve(this.port);
      });
    });
  }

  stopListening(): void {
    if (this.listenSocket) {
      this.uws.us_listen_socket_close(this.listenSocket);
      this.listenSocket = undefined;
    }
  }

  async close(): Promise<void> {
    this.stopListening();
    for (const conn of [...this.open]) conn.close(1001, 'hub shutting down');
    // uWS closes synchronously on end(); give close callbacks one turn.
    await new Promise((r) => setImmediate(r));
    // This uWS build has no app.close(); with the listen socket closed and every
    // connection ended, the app holds nothing open.
  }
}
