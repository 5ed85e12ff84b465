import type {
  IncomingMessage,
  Server as HttpServer,
  ServerOptions,
  ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { ErrorCode } from '../../protocol/index.js';
import { REFUSAL_RETRY_AFTER_S, type ConnectionCaps, type Refusal } from './connection-caps.js';

/**
 * Options for node:http `createServer` (and https) that bound slow clients. node checks
 * `headersTimeout`/`requestTimeout` only every `connectionsCheckingInterval` (30 s by
 * default, which would let a slowloris hold a socket for 40 s with a 10 s timeout), so the
 * interval is tied to the timeout: the real bound is headersTimeout + at most a quarter.
 */
export function slowClientOptions(
  headersTimeoutMs: number,
  requestTimeoutMs: number,
): Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval'> {
  return {
    headersTimeout: headersTimeoutMs,
    // node refuses a requestTimeout below headersTimeout.
    requestTimeout: Math.max(requestTimeoutMs, headersTimeoutMs),
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(headersTimeoutMs / 4))),
  };
}

/** A complete HTTP/1.1 response with a JSON error body, for sockets no request owns. */
export function rawJsonResponse(
  status: string,
  code: string,
  message: string,
  headOnly = false,
): string {
  const body = JSON.stringify({ error: { code, message } });
  return (
    `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${headOnly ? '' : body}`
  );
}

type ClientSocket = Socket & { _httpMessage?: { headersSent?: boolean } | null };

/**
 * Answer malformed and timed-out requests as node would (400, 408, 431), with our JSON
 * error body, and count the timeouts: a slowloris shows up in /metrics.
 */
export function answerClientErrors(server: HttpServer, onRequestTimeout: () => void): void {
  // The method of the request a socket is on: a parse error in the middle of a HEAD's body
  // arrives in a packet that no longer starts with "HEAD".
  const heads = new WeakSet<Socket>();
  server.prependListener(
    'request',
    (req: { method?: string; socket: Socket }, res: { once(e: 'finish', f: () => void): void }) => {
      if (req.method !== 'HEAD') return;
      heads.add(req.socket);
      res.once('finish', () => heads.delete(req.socket));
    },
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: ClientSocket) => {
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timedOut) onRequestTimeout();
    if (err.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, code, message] = timedOut
      ? ['408 Request Timeout', ErrorCode.REQUEST_TIMEOUT, 'the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [
            '431 Request Header Fields Too Large',
            ErrorCode.HEADERS_TOO_LARGE,
            'request headers too large',
          ]
        : [
            '400 Bad Request',
            ErrorCode.MALFORMED_REQUEST,
            `malformed HTTP request (${err.code ?? 'parse error'})`,
          ];
    // A reply to HEAD carries no body (the client would read it as the next response). The
    // packet may start with the tail of the previous request on a kept-alive connection.
    const head =
      heads.has(socket) ||
      /(^|\n)HEAD /.test(
        (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 16_384).toString('latin1') ?? '',
      );
    socket.end(rawJsonResponse(status, code, message, head));
    // A client that does not read the answer must not keep the socket.
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}

const refusedSockets = new WeakMap<Socket, Refusal>();

/**
 * Count TCP connections per address on a node http(s) server. A plain HTTP connection over
 * a cap is answered 503/429 with a JSON body at its first request (`answerIfRefused`; it
 * is not counted, and node's headersTimeout closes it if no request comes); over TLS it is
 * closed before the handshake, since spending a handshake on a refused client would be the
 * attack. `server.maxConnections` backs the count up at twice the cap: beyond it node drops
 * sockets unanswered.
 */
export function capConnections(server: HttpServer, caps: ConnectionCaps, max: number): void {
  if (max > 0) server.maxConnections = max * 2;
  const encrypted = server instanceof TlsServer;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const refused = caps.refusal(address);
    if (refused) {
      if (encrypted) socket.destroy();
      else refusedSockets.set(socket, refused);
      return;
    }
    caps.add(address);
    socket.once('close', () => caps.remove(address));
  });
}

/** Call first in the request handler: true when the request was answered as refused. */
export function answerIfRefused(req: IncomingMessage, res: ServerResponse): boolean {
  const refused = refusedSockets.get(req.socket);
  if (!refused) return false;
  res.writeHead(refused.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(refused.body),
    'retry-after': String(REFUSAL_RETRY_AFTER_S),
    connection: 'close',
  });
  res.end(refused.body);
  return true;
}
