import { ErrorCode, type WireErrorCodeName } from '../../protocol/index.js';
import { mayUseQueue, type Grant } from '../auth/index.js';
import type { WorkerRecord } from '../core/index.js';

export interface AccessDenied {
  code: WireErrorCodeName;
  message: string;
}

/**
 * May the holder of `grant` act as worker `workerId` (heartbeat, pull, complete, fail,
 * unregister)? Only the identity that registered it, with a token that still allows every
 * queue it serves; admins may act on any worker. A WebSocket session is bound to its worker
 * when the register is accepted, so frames need no check; HTTP calls name the worker in
 * their body and go through this one rule.
 */
export function workerAccessDenied(
  grant: Grant,
  workerId: string,
  worker: WorkerRecord | undefined,
): AccessDenied | undefined {
  if (!worker)
    return { code: ErrorCode.WORKER_NOT_FOUND, message: `no worker ${workerId}; register first` };
  if (grant.role === 'admin') return undefined;
  if (worker.owner !== grant.identity)
    return {
      code: ErrorCode.FORBIDDEN,
      message: `worker ${workerId} belongs to another identity`,
    };
  const queue = worker.queues.find((q) => !mayUseQueue(grant, q));
  if (queue !== undefined)
    return { code: ErrorCode.FORBIDDEN, message: `token does not allow queue ${queue}` };
  return undefined;
}
