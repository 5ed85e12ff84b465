import { ErrorCode, statusOfCode, type WireErrorCodeName } from '../../protocol/index.js';

/**
 * An error with a registry code, rendered as `{ error: { code, message } }` with the code's
 * HTTP status from protocol/error-registry.ts (the one table of statuses).
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  constructor(
    readonly code: WireErrorCodeName,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.status = statusOfCode(code);
  }
}

export const notFound = (what: string): HttpError => new HttpError(ErrorCode.NOT_FOUND, what);
export const badRequest = (message: string, details?: unknown): HttpError =>
  new HttpError(ErrorCode.INVALID_FRAME, message, details);

/** The HTTP status a client gets for a registry code. */
export const statusForCode: (code: string) => number = statusOfCode;
