/** Typed errors of the node layer: a stable code and a message that says what to do. */
export const NodeErrorCode = {
  NODE_UNREACHABLE: 'NODE_UNREACHABLE',
  AUTH_FAILED: 'AUTH_FAILED',
  HOST_KEY_UNKNOWN: 'HOST_KEY_UNKNOWN',
  HOST_KEY_CHANGED: 'HOST_KEY_CHANGED',
  COMMAND_TIMEOUT: 'COMMAND_TIMEOUT',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
} as const;
export type NodeErrorCodeName = (typeof NodeErrorCode)[keyof typeof NodeErrorCode];

export class NodeError extends Error {
  override readonly name = 'NodeError';
  constructor(
    readonly code: NodeErrorCodeName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Connection-level failures may be retried; a command that ran and failed never is. */
  get retryable(): boolean {
    return this.code === NodeErrorCode.NODE_UNREACHABLE;
  }
}
