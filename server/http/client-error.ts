import type { Socket } from 'node:net';
import { ErrorCode } from '../../protocol/index.js';
import { HttpError } from './http-error.js';

/**
 * A request Node's HTTP parser refused before any route saw it (an unknown method, a
 * malformed request line or header, headers too large, headers too slow). Node's default
 * answer is a bare `400 Bad Request` with no body; the API promises a JSON error body on
 * every 4xx, so the same statuses go out with one. The connection is closed after it: the
 * parser cannot find the next request on it.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          ErrorCode.FRAME_TOO_LARGE,
          'request headers too large',
        ]
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', ErrorCode.BAD_FRAME, 'request not received in time']
        : [
            400,
            'Bad Request',
            ErrorCode.BAD_FRAME,
            `malformed HTTP request (${err.code ?? 'parse error'})`,
          ];
  const body = JSON.stringify({ error: { code, message } });
  // A reply to HEAD carries no body (the client would read it as the next response). The
  // packet may start with the tail of the previous request on a kept-alive connection.
  const head = /(^|\n)HEAD /.test(
    (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 16_384).toString('latin1') ?? '',
  );
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${head ? '' : body}`,
  );
}

/**
 * The path and query of a request target. `new URL(target, base)` reads a target starting
 * with `//` as scheme-relative: `//x/api/v1/tasks` had its first segment taken as a host
 * (and routed to /api/v1/tasks), and `//` alone threw, answering 500. Only origin-form
 * targets exist on this server, so the target is always appended to a fixed origin.
 */
export function requestUrl(target: string | undefined): URL {
  const t = target ?? '/';
  try {
    return new URL(`http://localhost${t.startsWith('/') ? t : `/${t}`}`);
  } catch {
    throw new HttpError(400, ErrorCode.BAD_FRAME, 'the request target is not a valid path');
  }
}
