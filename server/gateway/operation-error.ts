import type { WireErrorCodeName } from '../../protocol/index.js';

/**
 * Why the gateway refused an operation: a registry code and a sentence for the caller. Each
 * transport renders it its own way (an `error` frame, a JSON body with the code's status).
 * A refused operation changed nothing.
 */
export class OperationError extends Error {
  override readonly name = 'OperationError';
  constructor(
    readonly code: WireErrorCodeName,
    message: string,
    /** The task the refusal is about, when there is one (error frames carry it). */
    readonly taskId?: string,
  ) {
    super(message);
  }
}
