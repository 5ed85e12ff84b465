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
  private readonly app: Uws.TemplatedApp;
  private listenSocket: Uws.us_listen_socket | undefined;
  private readonly open = new Set<UwsConnection>();

  constructor(
    private readonly uws: UwsModule,
    private readonly options: SocketServerOptions,
    handlers: SocketHandlers,
  ) {
    this.app = uws.App();
    this.app.ws<UserData>('/*', {
      compression: uws.DISABLED,
      maxPayloadLength: options.maxPayloadBytes,
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
    });
    this.app.any('/*', (res) => {
      res
        .writeStatus('426 Upgrade Required')
        .end('This port speaks WebSocket only; see docs/protocol.md');
    });
  }

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
        resolve(this.uws.us_socket_local_port(socket));
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
