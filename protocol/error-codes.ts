/**
 * The one registry of error codes. Codes are stable strings: they appear on the wire
 * (error frames, HTTP JSON bodies) and in docs/protocol.md. Never rename one; add new ones.
 */
export const ErrorCode = {
  /** The frame was not valid msgpack. */
  BAD_FRAME: 'BAD_FRAME',
  /** The frame decoded but its `t` field names no known frame type. */
  UNKNOWN_FRAME: 'UNKNOWN_FRAME',
  /** The frame is larger than `maxFrameBytes` (announced in `welcome`). */
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  /** The frame failed its schema; the message names the offending field. */
  INVALID_FRAME: 'INVALID_FRAME',
  /** A frame other than `hello` arrived before the handshake completed. */
  NOT_AUTHENTICATED: 'NOT_AUTHENTICATED',
  /** The token's role or queue list does not allow this operation. */
  FORBIDDEN: 'FORBIDDEN',
  /** A worker frame arrived before `register`. */
  NOT_REGISTERED: 'NOT_REGISTERED',
  /** `register` was sent twice on one connection. */
  ALREADY_REGISTERED: 'ALREADY_REGISTERED',
  /** complete/fail/progress for a task this worker does not hold (or a stale attempt token). */
  LEASE_NOT_HELD: 'LEASE_NOT_HELD',
  /** No task with this id (it never existed or its result has been evicted). */
  TASK_NOT_FOUND: 'TASK_NOT_FOUND',
  /** The task is in a state that does not allow the operation (e.g. cancel of a completed task). */
  INVALID_STATE: 'INVALID_STATE',
  /** No worker with this id. */
  WORKER_NOT_FOUND: 'WORKER_NOT_FOUND',
  /** No queue with this name. */
  QUEUE_NOT_FOUND: 'QUEUE_NOT_FOUND',
  /** The hub could not persist the command (an I/O error; a full disk is STORE_FULL); nothing was accepted. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** The hub is shutting down and accepts no new work. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** The hub is replaying its log and is not ready yet. */
  NOT_READY: 'NOT_READY',
  /** An HTTP route or resource does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** Authentication failed (missing, malformed, expired or forged token). */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** A request was well formed but conflicts with current state (e.g. duplicate node id). */
  CONFLICT: 'CONFLICT',
  /** Too many requests or frames in flight for this connection. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A remote node could not be reached or a command could not be started on it. */
  NODE_UNREACHABLE: 'NODE_UNREACHABLE',
  /** Anything else; a bug in the hub. The message says what happened. */
  INTERNAL: 'INTERNAL',
  /**
   * The hub's disk is full, so the command could not be persisted; nothing was accepted
   * (HTTP 507). Fix: free space on the filesystem holding the hub's data dir, then retry;
   * the hub accepts writes again by itself, without a restart.
   */
  STORE_FULL: 'STORE_FULL',
  /** HTTP only: a connection over the hub-wide (503) or per-address (429) cap (docs/limits.md). */
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  /** HTTP only: a request body whose content type is not JSON (415). */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** HTTP only: the request's headers or body did not arrive within the timeout (408). */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
} as const;

export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Task failure codes produced by the hub itself (in `result` frames and task records). */
export const TaskErrorCode = {
  /** The task ran longer than its `timeoutMs`. */
  TIMEOUT: 'TIMEOUT',
  /** The worker holding the lease vanished (missed heartbeats or did not return within the grace period). */
  LEASE_LOST: 'LEASE_LOST',
  /** The task waited in its queue longer than its `ttlMs`. */
  EXPIRED: 'EXPIRED',
  /** The task was cancelled. */
  CANCELLED: 'CANCELLED',
  /** The handler threw or the worker reported failure. */
  HANDLER_ERROR: 'HANDLER_ERROR',
} as const;

export type TaskErrorCodeName = (typeof TaskErrorCode)[keyof typeof TaskErrorCode];
