import { ErrorCode } from '../../protocol/index.js';
import { mayUseQueue } from '../auth/index.js';
import type { Command, TaskRecord, WorkerRecord } from '../core/index.js';
import { asWorker, gateNewWork, requireQueue, requireRole } from './access-rules.js';
import type { Caller } from './caller.js';
import type { Engine } from './engine.js';
import type { GatewayRules } from './gateway-rules.js';
import { OperationError } from './operation-error.js';

export interface RegisterRequest {
  /** Absent: the hub names the worker. */
  workerId?: string;
  /** push: the hub sends tasks over a connection; pull: the worker asks (HTTP). */
  kind: 'push' | 'pull';
  name?: string;
  queues: string[];
  capabilities?: string[];
  concurrency?: number;
  running?: { taskId: string; attempt: number }[];
}

export interface RegisterOutcome {
  workerId: string;
  resumed: string[];
  dropped: string[];
  worker: WorkerRecord;
}

/**
 * Workers' lifecycle and their listing, as part of the gateway (the Gateway's register,
 * heartbeat, drain, unregister, disconnect, pull, worker and workers delegate here).
 */
export class WorkerOperations {
  constructor(
    private readonly hub: Engine,
    private readonly gateway: GatewayRules,
  ) {}

  /**
   * Register (or re-register) a worker. A push worker's connection is bound to the id when
   * the core accepts it (the hub does that on worker.registered, before the tasks pushed in
   * the same step), never before: a refused register leaves the id's holder undisturbed.
   */
  register(caller: Caller, req: RegisterRequest): RegisterOutcome {
    requireRole(caller, 'worker', 'register as a worker');
    for (const q of req.queues) requireQueue(caller, q);
    gateNewWork(this.hub.phase, 'workers');
    const workerId =
      req.workerId ??
      (req.kind === 'push' && caller.session !== undefined
        ? `w-${caller.session}`
        : `http-${this.hub.ids.next()}`);
    const cmd: Command = {
      type: 'worker.register',
      now: this.hub.now(),
      workerId,
      kind: req.kind,
      owner: caller.grant.identity,
      queues: req.queues,
      capabilities: req.capabilities ?? [],
      concurrency: req.concurrency ?? 1,
    };
    if (caller.session !== undefined && req.kind === 'push') cmd.session = caller.session;
    if (req.name !== undefined) cmd.name = req.name;
    if (req.running !== undefined) cmd.running = req.running;
    const ok = this.gateway.check(this.hub.execute(cmd).result);
    return {
      workerId,
      resumed: ok.resumed ?? [],
      dropped: ok.dropped ?? [],
      worker: this.hub.core.workers.get(workerId)!,
    };
  }

  heartbeat(caller: Caller, workerId: string): void {
    asWorker(this.hub.core, caller, workerId);
    this.gateway.check(
      this.hub.execute({ type: 'worker.heartbeat', now: this.hub.now(), workerId }).result,
    );
  }

  /**
   * Stop giving the worker new tasks; it finishes what it runs. A worker draining itself
   * knows; anyone else draining it (an operator) has the hub tell it.
   */
  drain(caller: Caller, workerId: string): void {
    asWorker(this.hub.core, caller, workerId);
    if (caller.boundWorker === workerId)
      this.gateway.check(
        this.hub.execute({ type: 'worker.drain', now: this.hub.now(), workerId }).result,
      );
    else this.hub.drainWorker(workerId);
  }

  /** Remove the worker; a connected push worker's connection is closed. */
  unregister(caller: Caller, workerId: string): void {
    asWorker(this.hub.core, caller, workerId);
    this.gateway.check(
      this.hub.execute({ type: 'worker.unregister', now: this.hub.now(), workerId }).result,
    );
  }

  /** An operator closes a worker's connection (or removes a pull worker). */
  disconnect(caller: Caller, workerId: string): void {
    requireRole(caller, 'admin', 'disconnect workers');
    const worker = this.worker(caller, workerId);
    if (!this.hub.kickWorker(worker.id)) this.unregister(caller, worker.id);
  }

  /** A pull worker leases up to `max` tasks (this call is also its heartbeat). */
  pull(caller: Caller, workerId: string, max: number): Promise<TaskRecord[]> {
    asWorker(this.hub.core, caller, workerId);
    return this.gateway
      .durably({ type: 'worker.pull', now: this.hub.now(), workerId, max })
      .then((ok) => ok.leased ?? []);
  }

  worker(caller: Caller, workerId: string): WorkerRecord {
    requireRole(caller, 'admin', 'read workers');
    const worker = this.hub.core.workers.get(workerId);
    if (!worker) throw new OperationError(ErrorCode.WORKER_NOT_FOUND, `no worker ${workerId}`);
    for (const q of worker.queues) requireQueue(caller, q);
    return worker;
  }

  workers(caller: Caller): WorkerRecord[] {
    requireRole(caller, 'admin', 'read workers');
    return [...this.hub.core.workers.values()].filter((w) =>
      w.queues.every((q) => mayUseQueue(caller.grant, q)),
    );
  }
}
