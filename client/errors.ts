/** Errors the SDK raises. Each has a stable `code`; `cause` carries the underlying error. */
export class SwitchboardError extends Error {
  override readonly name: string = 'SwitchboardError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The hub answered a request with an error frame (codes: docs/protocol.md). */
export class HubError extends SwitchboardError {
  override readonly name = 'HubError';
  constructor(
    code: string,
    message: string,
    readonly taskId?: string,
  ) {
    super(code, message);
  }
}

/** A task ended without a result: dead-lettered, expired or cancelled. */
export class TaskFailedError extends SwitchboardError {
  override readonly name = 'TaskFailedError';
  constructor(
    readonly taskId: string,
    readonly status: 'dead' | 'expired' | 'cancelled',
    code: string,
    message: string,
    readonly attempts: number,
    readonly details?: unknown,
  ) {
    super(code, `task ${taskId} ${status}: ${message}`);
  }
}

/** The connection closed before the request was answered; it may or may not have been applied. */
export class ConnectionClosedError extends SwitchboardError {
  override readonly name = 'ConnectionClosedError';
  constructor(
    message = 'connection to the hub closed',
    /** The WebSocket close code, when the hub closed the connection. */
    readonly closeCode?: number,
  ) {
    super('CONNECTION_CLOSED', message);
  }
}

/** SDK error code of each fatal close code (docs/protocol.md §10). */
const AUTH_CODES: Readonly<Record<number, string>> = {
  4000: 'UNSUPPORTED_PROTOCOL',
  4001: 'UNAUTHORIZED',
  4003: 'FORBIDDEN',
  4004: 'TOKEN_REVOKED',
  4005: 'TOKEN_EXPIRED',
};

/**
 * The hub refused the token (close 4001/4003), revoked it or saw it expire while the
 * connection was open (4004/4005), or refused the protocol version (4000). Not retried:
 * the same token would be refused again.
 */
export class AuthError extends SwitchboardError {
  override readonly name = 'AuthError';
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(AUTH_CODES[closeCode] ?? 'UNAUTHORIZED', message);
  }
}

export class TimeoutError extends SwitchboardError {
  override readonly name = 'TimeoutError';
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}

/** Throw this from a handler to fail the task without retrying (straight to the dead-letter queue). */
export class UnrecoverableError extends Error {
  override readonly name = 'UnrecoverableError';
  readonly retryable = false;
}
