import {
  ErrorCode,
  errorEntry,
  isErrorCode,
  type ErrorCodeName,
  type WireErrorCodeName,
} from '../protocol/index.js';

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

/** What an `error` frame (or an HTTP error body's `error`) carries. */
export interface ErrorFrameLike {
  readonly code: string;
  readonly message: string;
  readonly taskId?: string | undefined;
}

/**
 * The hub refused a request (codes: docs/protocol.md §9). `HubError.fromFrame` picks the
 * subclass of the code's family, so callers can catch by kind (`instanceof NotFoundError`)
 * or compare `code`, which is always a registry code: a code this SDK does not know (from a
 * newer hub) is `UNKNOWN_CODE`, with the hub's string in `hubCode`.
 */
export class HubError extends SwitchboardError {
  override readonly name: string = 'HubError';
  declare readonly code: ErrorCodeName;
  /** The code exactly as the hub sent it. */
  readonly hubCode: string;
  /** Whether the same request may succeed later without changes (after a backoff). */
  readonly retryable: boolean = false;
  constructor(
    code: ErrorCodeName,
    message: string,
    readonly taskId?: string,
    options?: { hubCode?: string; cause?: unknown },
  ) {
    super(code, message, options);
    this.hubCode = options?.hubCode ?? code;
  }

  /** The HTTP status the hub gives this code, when it has one. */
  get status(): number | undefined {
    return errorEntry(this.code)?.status;
  }

  /** What to do about it, in one sentence (from the registry). */
  get fix(): string | undefined {
    return errorEntry(this.code)?.fix;
  }

  /** The typed error of an `error` frame. */
  static fromFrame(frame: ErrorFrameLike): HubError {
    if (!isErrorCode(frame.code) || !(frame.code in FAMILY))
      return new HubError(ErrorCode.UNKNOWN_CODE, `${frame.code}: ${frame.message}`, frame.taskId, {
        hubCode: frame.code,
      });
    const Family = FAMILY[frame.code as WireErrorCodeName];
    return new Family(frame.code, frame.message, frame.taskId);
  }
}

/** The request was malformed or over a size limit: a client bug, not retried. */
export class InvalidRequestError extends HubError {
  override readonly name: string = 'InvalidRequestError';
}

/** SDK error code of each fatal close code (docs/protocol.md §10). */
const CLOSE_CODES: Readonly<Record<number, ErrorCodeName>> = {
  4000: ErrorCode.UNSUPPORTED_PROTOCOL,
  4001: ErrorCode.UNAUTHORIZED,
  4003: ErrorCode.FORBIDDEN,
  4004: ErrorCode.TOKEN_REVOKED,
  4005: ErrorCode.TOKEN_EXPIRED,
};

/**
 * The hub refused the token (close 4001/4003, or an unauthenticated request), revoked it or
 * saw it expire while the connection was open (4004/4005), or refused the protocol version
 * (4000). Not retried: the same token would be refused again.
 */
export class AuthError extends HubError {
  override readonly name: string = 'AuthError';
  /** The WebSocket close code, when the hub closed the connection for it. */
  readonly closeCode: number | undefined;
  constructor(
    code: ErrorCodeName,
    message: string,
    taskId?: string,
    options?: { hubCode?: string; cause?: unknown; closeCode?: number },
  ) {
    super(code, message, taskId, options);
    this.closeCode = options?.closeCode;
  }

  /** The error of a fatal close code (ForbiddenError for 4003). */
  static fromClose(closeCode: number, message: string): AuthError {
    const code = CLOSE_CODES[closeCode] ?? ErrorCode.UNAUTHORIZED;
    const Class = code === ErrorCode.FORBIDDEN ? ForbiddenError : AuthError;
    return new Class(code, message, undefined, { closeCode });
  }
}

/** The token is valid but its role or queues do not allow this. */
export class ForbiddenError extends AuthError {
  override readonly name: string = 'ForbiddenError';
}

/** No such task, worker, queue, route, node or command. */
export class NotFoundError extends HubError {
  override readonly name: string = 'NotFoundError';
}

/** The request conflicts with the current state (a lease not held, a finished task, …). */
export class ConflictError extends HubError {
  override readonly name: string = 'ConflictError';
}

/** The hub (or a node) cannot take it now: shutting down, recovering, over a cap. */
export class UnavailableError extends HubError {
  override readonly name: string = 'UnavailableError';
  override readonly retryable: boolean = true;
}

/**
 * The hub could not persist the request (STORE_FULL, STORE_UNAVAILABLE, ENGINE_UNAVAILABLE);
 * nothing was accepted.
 */
export class StoreError extends UnavailableError {
  override readonly name: string = 'StoreError';
}

/** Over the connection's frame or byte rate: slow down (the hub closes with 4029 otherwise). */
export class RateLimitError extends HubError {
  override readonly name: string = 'RateLimitError';
  override readonly retryable: boolean = true;
}

/** A bug in the hub; the hub log says more. */
export class InternalError extends HubError {
  override readonly name: string = 'InternalError';
}

type HubErrorClass = new (code: ErrorCodeName, message: string, taskId?: string) => HubError;

/** The class of every code the hub sends: the compiler fails when a new code has none. */
const FAMILY: Record<WireErrorCodeName, HubErrorClass> = {
  BAD_FRAME: InvalidRequestError,
  UNKNOWN_FRAME: InvalidRequestError,
  FRAME_TOO_LARGE: InvalidRequestError,
  INVALID_FRAME: InvalidRequestError,
  METHOD_NOT_ALLOWED: InvalidRequestError,
  INVALID_JSON: InvalidRequestError,
  BODY_TOO_LARGE: InvalidRequestError,
  HEADERS_TOO_LARGE: InvalidRequestError,
  MALFORMED_REQUEST: InvalidRequestError,
  UNSUPPORTED_MEDIA_TYPE: InvalidRequestError,
  REQUEST_TIMEOUT: InvalidRequestError,
  NOT_AUTHENTICATED: AuthError,
  UNAUTHORIZED: AuthError,
  FORBIDDEN: ForbiddenError,
  TASK_NOT_FOUND: NotFoundError,
  WORKER_NOT_FOUND: NotFoundError,
  QUEUE_NOT_FOUND: NotFoundError,
  NOT_FOUND: NotFoundError,
  NOT_REGISTERED: ConflictError,
  ALREADY_REGISTERED: ConflictError,
  LEASE_NOT_HELD: ConflictError,
  INVALID_STATE: ConflictError,
  CONFLICT: ConflictError,
  SHUTTING_DOWN: UnavailableError,
  NOT_READY: UnavailableError,
  TOO_MANY_CONNECTIONS: UnavailableError,
  NODE_UNREACHABLE: UnavailableError,
  STORE_UNAVAILABLE: StoreError,
  STORE_FULL: StoreError,
  ENGINE_UNAVAILABLE: StoreError,
  FEDERATION_FULL: UnavailableError,
  RATE_LIMITED: RateLimitError,
  INTERNAL: InternalError,
  SUBSCRIPTION_EXISTS: ConflictError,
  SUBSCRIPTION_NOT_FOUND: NotFoundError,
  SUBSCRIPTION_FULL: UnavailableError,
  NO_RESPONDERS: UnavailableError,
  CLIENT_NOT_FOUND: NotFoundError,
  RESPONDER_FAILED: UnavailableError,
  FORWARD_LIMIT: ConflictError,
  PORT_IN_USE: ConflictError,
  PORTS_EXHAUSTED: UnavailableError,
  NO_SUITABLE_NODE: ConflictError,
  SCHEDULE_NOT_FOUND: NotFoundError,
  SCHEDULE_EXISTS: ConflictError,
  INVALID_SCHEDULE: InvalidRequestError,
};

/** A task ended without a result: dead-lettered, expired or cancelled. */
export class TaskFailedError extends SwitchboardError {
  override readonly name = 'TaskFailedError';
  constructor(
    readonly taskId: string,
    readonly status: 'dead' | 'expired' | 'cancelled',
    /** The task's failure code: the hub's (TIMEOUT, LEASE_LOST, …) or the worker's own. */
    code: string,
    message: string,
    readonly attempts: number,
    readonly details?: unknown,
  ) {
    super(code, `task ${taskId} ${status}: ${message}`);
  }
}

/** The connection closed before the request was answered; it may or may not have been applied. */
/** A call the HTTP fallback cannot make: it needs the WebSocket (docs/client.md, HTTP fallback). */
export class NotOverHttpError extends SwitchboardError {
  override readonly name = 'NotOverHttpError';
  declare readonly code: typeof ErrorCode.NOT_OVER_HTTP;
  constructor(what: string) {
    super(
      ErrorCode.NOT_OVER_HTTP,
      `${what} needs the WebSocket; this client works over the HTTP fallback now (the WebSocket upgrade was refused)`,
    );
  }
}

export class ConnectionClosedError extends SwitchboardError {
  override readonly name = 'ConnectionClosedError';
  declare readonly code: typeof ErrorCode.CONNECTION_CLOSED;
  constructor(
    message = 'connection to the hub closed',
    /** The WebSocket close code, when the hub closed the connection. */
    readonly closeCode?: number,
  ) {
    super(ErrorCode.CONNECTION_CLOSED, message);
  }
}

/** No reply (or no result) within the timeout. */
export class TimeoutError extends SwitchboardError {
  override readonly name = 'TimeoutError';
  declare readonly code: typeof ErrorCode.TIMEOUT;
  constructor(message: string) {
    super(ErrorCode.TIMEOUT, message);
  }
}

/** No reply to a `request()` within its `timeoutMs`. */
export class ReplyTimeoutError extends SwitchboardError {
  override readonly name = 'ReplyTimeoutError';
  declare readonly code: typeof ErrorCode.REPLY_TIMEOUT;
  constructor(message: string) {
    super(ErrorCode.REPLY_TIMEOUT, message);
  }
}

/**
 * An option the SDK cannot use (an empty `url` list, a URL of the wrong scheme), thrown by
 * the constructor: the mistake is reported where it was made, never retried.
 */
export class InvalidOptionError extends SwitchboardError {
  override readonly name = 'InvalidOptionError';
  declare readonly code: typeof ErrorCode.INVALID_OPTION;
  constructor(
    /** The option at fault, e.g. `url`. */
    readonly option: string,
    message: string,
  ) {
    super(ErrorCode.INVALID_OPTION, message);
  }
}

/** Throw this from a handler to fail the task without retrying (straight to the dead-letter queue). */
export class UnrecoverableError extends Error {
  override readonly name = 'UnrecoverableError';
  readonly retryable = false;
}
