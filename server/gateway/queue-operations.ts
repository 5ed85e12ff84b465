import { ErrorCode, type QueueLimitsSpec } from '../../protocol/index.js';
import { mayUseQueue } from '../auth/index.js';
import type { QueueState } from '../core/index.js';
import { requireQueue, requireRole } from './access-rules.js';
import type { Caller } from './caller.js';
import type { Engine } from './engine.js';
import type { GatewayRules } from './gateway-rules.js';
import { OperationError } from './operation-error.js';

/**
 * Queues, read and managed by admins whose token allows them, as part of the gateway (the
 * Gateway's queue methods delegate here): pause, resume, limits, purge of dead tasks.
 */
export class QueueOperations {
  constructor(
    private readonly hub: Engine,
    private readonly gateway: GatewayRules,
  ) {}

  queues(caller: Caller): QueueState[] {
    requireRole(caller, 'admin', 'read queues');
    return [...this.hub.core.queues.values()].filter((q) => mayUseQueue(caller.grant, q.name));
  }

  queue(caller: Caller, name: string): QueueState {
    requireRole(caller, 'admin', 'read queues');
    requireQueue(caller, name);
    const q = this.hub.core.queues.get(name);
    if (!q) throw new OperationError(ErrorCode.QUEUE_NOT_FOUND, `no queue ${name}`);
    return q;
  }

  /** How many registered workers serve the queue. */
  queueWorkers(caller: Caller, name: string): number {
    requireRole(caller, 'admin', 'read queues');
    requireQueue(caller, name);
    let n = 0;
    for (const w of this.hub.core.workers.values()) if (w.queues.includes(name)) n++;
    return n;
  }

  pauseQueue(caller: Caller, name: string): Promise<QueueState> {
    const q = this.queue(caller, name);
    return this.gateway
      .durably({ type: 'queue.pause', now: this.hub.now(), queue: q.name })
      .then(() => q);
  }

  resumeQueue(caller: Caller, name: string): Promise<QueueState> {
    const q = this.queue(caller, name);
    return this.gateway
      .durably({ type: 'queue.resume', now: this.hub.now(), queue: q.name })
      .then(() => q);
  }

  /**
   * Set a queue's rate, concurrency and group limits, replacing the ones it had ({}: none);
   * docs/rate-limits.md. `limits` was validated at the edge (protocol/queue-limits.ts).
   */
  setQueueLimits(caller: Caller, name: string, limits: QueueLimitsSpec): Promise<QueueState> {
    const q = this.queue(caller, name);
    const spec: QueueLimitsSpec = {};
    if (limits.rate) {
      const { count, perMs, burst } = limits.rate;
      spec.rate = burst !== undefined && burst > 1 ? { count, perMs, burst } : { count, perMs };
    }
    if (limits.concurrency !== undefined) spec.concurrency = limits.concurrency;
    if (limits.group) spec.group = { key: limits.group.key, concurrency: limits.group.concurrency };
    return this.gateway
      .durably({
        type: 'queue.limit',
        now: this.hub.now(),
        queue: q.name,
        limits: spec,
      })
      .then(() => q);
  }

  purgeDead(caller: Caller, name: string): Promise<number> {
    const q = this.queue(caller, name);
    return this.gateway
      .durably({ type: 'queue.purge-dead', now: this.hub.now(), queue: q.name })
      .then((ok) => ok.count ?? 0);
  }
}
