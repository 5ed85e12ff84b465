import { ErrorCode, type ErrorCodeName } from '../../protocol/index.js';

/** An error with an HTTP status and a registry code; rendered as `{ error: { code, message } }`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: ErrorCodeName,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string): HttpError => new HttpError(404, ErrorCode.NOT_FOUND, what);
export const badRequest = (message: string, details?: unknown): HttpError =>
  new HttpError(400, ErrorCode.INVALID_FRAME, message, details);

/** Map a core error code to the HTTP status a client expects. */
export function statusForCode(code: string): number {
  switch (code) {
    case ErrorCode.TASK_NOT_FOUND:
    case ErrorCode.WORKER_NOT_FOUND:
    case ErrorCode.QUEUE_NOT_FOUND:
    case ErrorCode.NOT_FOUND:
      return 404;
    case ErrorCode.INVALID_STATE:
    case ErrorCode.CONFLICT:
    case ErrorCode.LEASE_NOT_HELD:
      return 409;
    case ErrorCode.FORBIDDEN:
      return 403;
    case ErrorCode.UNAUTHORIZED:
      return 401;
    case ErrorCode.STORE_UNAVAILABLE:
    case ErrorCode.SHUTTING_DOWN:
    case ErrorCode.NOT_READY:
      return 503;
    case ErrorCode.FRAME_TOO_LARGE:
      return 413;
    case ErrorCode.STORE_FULL:
      return 507;
    default:
      return 400;
  }
}
