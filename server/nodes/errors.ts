import { codesSentBy, type CodeSentBy } from '../../protocol/error-registry.js';

/**
 * Typed errors of the node layer: a stable code (protocol/error-registry.ts; NODE_UNREACHABLE
 * is the same code the HTTP node API answers with) and a message that says what to do.
 */
export const NodeErrorCode = codesSentBy('nodes');
export type NodeErrorCodeName = CodeSentBy<'nodes'>;

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
