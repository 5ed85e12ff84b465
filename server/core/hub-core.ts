import { ErrorCode, Priority, TaskErrorCode, type TaskSpec } from '../../protocol/index.js';
import { backoffDelay, jitterFor } from './backoff.js';
import type {
  CancelCommand,
  RetractCommand,
  Command,
  CompleteCommand,
  DurableCommand,
  FailCommand,
  LeaseCommand,
  RegisterWorkerCommand,
  RequeueCommand,
  SubmitCommand,
  TokenRevokeCommand,
} from './commands.js';
import { DIRECTLY_DURABLE } from './commands.js';
import type { HubEvent } from './events.js';
import { MinHeap } from './min-heap.js';
import { NodeRegistry } from './node-registry.js';
import { QueueState } from './queue-state.js';
import type { TaskRecord, WorkerRecord } from './records.js';
import { restoreSnapshot, takeSnapshot, type CoreSnapshot } from './snapshot.js';
import { FinishedTasks } from './finished-tasks.js';
import { TaskOptionsPool } from './task-options.js';
import { TaskTable } from './task-table.js';
import { DEFAULT_CORE_OPTIONS, type CoreOptions } from './core-options.js';
import { fail, OK, type CommandResult, type Effects } from './command-result.js';
import { FreeWorkers } from './free-workers.js';
import { Revocations } from './revocations.js';

type Timer =
  | { kind: 'delay'; taskId: string; gen: number }
  | { kind: 'ttl'; taskId: string }
  | { kind: 'timeout'; taskId: string; attempt: number }
  | { kind: 'heartbeat'; worker: WorkerRecord }
  | { kind: 'grace'; workerId: string; epoch: number };

/** Most workers offer no capabilities; they share one empty set instead of ~150 B each. */
const NO_CAPABILITIES: ReadonlySet<string> = new Set();
function capabilitySet(list: readonly string[] | undefined): ReadonlySet<string> {
  return list && list.length > 0 ? new Set(list) : NO_CAPABILITIES;
}

const TERMINAL = new Set(['completed', 'dead', 'expired', 'cancelled']);

/**
 * The hub's state and rules. Pure: commands in (with the time), events and journal out.
 * No I/O, no timers, no clock, no randomness — which is what lets the WAL replay it and
 * tests drive it with an explicit clock. Callers apply commands one at a time.
 */
export class Core {
  readonly options: CoreOptions;
  readonly tasks = new TaskTable();
  readonly queues = new Map<string, QueueState>();
  readonly workers = new Map<string, WorkerRecord>();
  readonly nodes = new NodeRegistry();
  readonly revocations = new Revocations();
  private readonly idempotency = new Map<string, string>();
  /** Workers with a free slot, per queue they serve. Set order gives round-robin. */
  private readonly free = new FreeWorkers();
  private readonly timers = new MinHeap<Timer>();
  private readonly finished: FinishedTasks;
  private nextSeq = 1;
  private effects: Effects = { events: [], journal: [] };

  /** Submit-time options, one shared object for tasks that set none. */
  readonly taskOptions: TaskOptionsPool;

  constructor(options: Partial<CoreOptions> = {}) {
    this.options = { ...DEFAULT_CORE_OPTIONS, ...options };
    this.taskOptions = new TaskOptionsPool(this.options);
    this.finished = new FinishedTasks(this.options.maxFinishedTasks);
  }

  /** Rebuild a core from a snapshot (undefined = empty). Used by recovery and compaction. */
  static restore(snapshot: unknown, options: Partial<CoreOptions> = {}): Core {
    const core = new Core(options);
    if (snapshot !== undefined) restoreSnapshot(core, snapshot as CoreSnapshot);
    return core;
  }

  snapshot(): CoreSnapshot {
    return takeSnapshot(this);
  }

  /** Events and journal produced since the last call. */
  takeEffects(): Effects {
    const out = this.effects;
    this.effects = { events: [], journal: [] };
    return out;
  }

  /** Earliest time at which `tick` has something to do, for the caller's timer. */
  nextWakeAt(): number | undefined {
    return this.timers.peekKey();
  }

  /** Earliest time at which `gc` has something to do. */
  nextGcAt(): number | undefined {
    return this.finished.nextExpiry();
  }

  apply(cmd: Command): CommandResult {
    // MUST journal the command before what it derives (a submit before the leases its
    // dispatch creates), or replay would meet a lease for a task that does not exist yet.
    const journal = this.effects.journal;
    const at = journal.length;
    const durable = DIRECTLY_DURABLE.has(cmd.type);
    if (durable) journal.push(cmd as DurableCommand);
    const result = this.dispatchCommand(cmd);
    if (!result.ok && durable && journal[at] === cmd) journal.splice(at, 1);
    // After the command, so its own events (a completion) come before any eviction it
    // causes; replay applies the same commands and so evicts the same tasks.
    while (this.finished.overLimit && this.evictNext());
    return result;
  }

  private dispatchCommand(cmd: Command): CommandResult {
    switch (cmd.type) {
      case 'task.submit':
        return this.submit(cmd);
      case 'task.lease':
        return this.applyLease(cmd);
      case 'task.complete':
        return this.complete(cmd);
      case 'task.fail':
        return this.failTask(cmd);
      case 'task.requeue':
        return this.requeue(cmd);
      case 'task.expire':
        return this.expire(cmd.taskId, cmd.now);
      case 'task.promote':
        return this.promote(cmd.taskId, cmd.now);
      case 'task.cancel':
        return this.cancel(cmd);
      case 'task.retract':
        return this.retract(cmd);
      case 'task.retry':
        return this.retry(cmd.taskId, cmd.now);
      case 'task.progress': {
        const task = this.tasks.get(cmd.taskId);
        if (!this.holds(task, cmd.workerId, cmd.attempt)) return this.leaseNotHeld(cmd.taskId);
        task.progress = cmd.value;
        this.touch(cmd.workerId, cmd.now);
        this.emit({ type: 'task.progress', task, value: cmd.value });
        return OK;
      }
      case 'queue.pause':
      case 'queue.resume':
        return this.setPaused(cmd.queue, cmd.type === 'queue.pause', cmd.now);
      case 'queue.purge-dead':
        return this.purgeDead(cmd.queue);
      case 'gc':
        return this.gc(cmd.now);
      case 'recover':
        return this.recover(cmd.now);
      case 'tick':
        this.tick(cmd.now);
        return OK;
      case 'worker.register':
        return this.register(cmd);
      case 'worker.heartbeat':
        return this.touch(cmd.workerId, cmd.now)
          ? OK
          : fail(ErrorCode.WORKER_NOT_FOUND, `no worker ${cmd.workerId}`);
      case 'worker.disconnect':
        return this.disconnect(cmd.workerId, cmd.now, cmd.session);
      case 'worker.drain':
        return this.drain(cmd.workerId);
      case 'worker.unregister': {
        const worker = this.workers.get(cmd.workerId);
        if (!worker) return fail(ErrorCode.WORKER_NOT_FOUND, `no worker ${cmd.workerId}`);
        this.removeWorker(worker, cmd.now, 'unregistered');
        return OK;
      }
      case 'worker.pull':
        return this.pull(cmd.workerId, cmd.max, cmd.now);
      case 'node.register':
      case 'node.update':
      case 'node.remove':
      case 'node.status':
      case 'node.command':
      case 'command.started':
      case 'command.result':
        return this.nodes.apply(cmd, (e) => this.emit(e));
      case 'token.revoke':
        return this.revokeToken(cmd);
    }
  }

  // ------------------------------------------------------------------ tokens

  private revokeToken(cmd: TokenRevokeCommand): CommandResult {
    if ((cmd.tokenId === undefined) === (cmd.subject === undefined)) {
      return fail(ErrorCode.INVALID_FRAME, 'token.revoke names exactly one of tokenId and subject');
    }
    if (cmd.tokenId !== undefined) {
      this.revocations.revokeId(cmd.tokenId, cmd.now, cmd.reason);
      this.emit({ type: 'token.revoked', tokenId: cmd.tokenId });
    } else {
      const issuedBefore = cmd.issuedBefore ?? cmd.now;
      this.revocations.revokeSubject(cmd.subject!, issuedBefore, cmd.now, cmd.reason);
      this.emit({ type: 'token.revoked', subject: cmd.subject!, issuedBefore });
    }
    return OK;
  }

  // ------------------------------------------------------------------ tasks

  private submit(cmd: SubmitCommand): CommandResult {
    const taskIds: string[] = [];
    const duplicates: number[] = [];
    const touched = new Set<QueueState>();
    // All or nothing: a refused batch must not leave its first tasks behind.
    const ids = cmd.tasks.length > 1 ? new Set<string>() : undefined;
    for (let i = 0; i < cmd.tasks.length; i++) {
      const id = cmd.tasks[i]!.id;
      if (this.tasks.has(id) || ids?.has(id))
        return fail(ErrorCode.CONFLICT, `task id ${id} already exists`);
      ids?.add(id);
    }
    for (let i = 0; i < cmd.tasks.length; i++) {
      const { id, spec } = cmd.tasks[i]!;
      if (spec.idempotencyKey !== undefined) {
        const existing = this.idempotency.get(idemKey(spec.queue, spec.idempotencyKey));
        if (existing !== undefined) {
          taskIds.push(existing);
          duplicates.push(i);
          continue;
        }
      }
      const queue = this.queue(spec.queue);
      const task = this.createTask(id, spec, queue, cmd.now, cmd.submitter);
      taskIds.push(id);
      this.enqueueNew(task, queue, cmd.now);
      touched.add(queue);
    }
    for (const queue of touched) this.dispatchQueue(queue, cmd.now);
    return { ok: true, taskIds, duplicates };
  }

  private createTask(
    id: string,
    spec: TaskSpec,
    queue: QueueState,
    now: number,
    submitter?: string,
  ): TaskRecord {
    const runAt =
      spec.delayMs !== undefined ? now + spec.delayMs : spec.runAt !== undefined ? spec.runAt : now;
    const ttl = spec.ttlMs ?? 0;
    const task: TaskRecord = {
      id,
      seq: this.nextSeq++,
      ord: 0,
      gen: 0,
      // The queue's own name string: a name decoded from each frame is a fresh copy, and a
      // million queued tasks would otherwise hold a million copies of it.
      queue: queue.name,
      priority: Priority[spec.priority ?? 'normal'],
      payload: spec.payload,
      state: 'queued',
      attempt: 0,
      options: this.taskOptions.forSpec(spec),
      expiresAt: ttl > 0 ? Math.max(runAt, now) + ttl : 0,
      runAt,
      createdAt: now,
      startedAt: 0,
      finishedAt: 0,
      workerId: undefined,
      submitter,
      result: undefined,
      error: undefined,
      progress: undefined,
    };
    this.tasks.set(id, task);
    if (task.options.idempotencyKey !== undefined) {
      this.idempotency.set(idemKey(task.queue, task.options.idempotencyKey), id);
    }
    this.emit({ type: 'task.submitted', task });
    return task;
  }

  /** Place a freshly created task: delayed heap or its queue. */
  private enqueueNew(task: TaskRecord, queue: QueueState, now: number): void {
    if (task.expiresAt > 0) this.timers.push(task.expiresAt, { kind: 'ttl', taskId: task.id });
    if (task.runAt > now) {
      task.state = 'delayed';
      queue.delayed++;
      this.timers.push(task.runAt, { kind: 'delay', taskId: task.id, gen: task.gen });
    } else {
      task.state = 'queued';
      queue.push(task);
    }
  }

  private applyLease(cmd: LeaseCommand, fromTake = false): CommandResult {
    const task = this.tasks.get(cmd.taskId);
    if (!task) return fail(ErrorCode.TASK_NOT_FOUND, `no task ${cmd.taskId}`);
    if (task.state !== 'queued')
      return fail(ErrorCode.INVALID_STATE, `task ${task.id} is ${task.state}`);
    // Live dispatch has already taken the task off its queue; in replay the queue entry is
    // left behind and becomes stale once the state changes below.
    const queue = this.queue(task.queue);
    if (!fromTake) queue.forget(task);
    task.state = 'leased';
    task.attempt = cmd.attempt;
    task.workerId = cmd.workerId;
    task.startedAt = cmd.now;
    task.error = undefined;
    queue.leased++;
    if (task.options.timeoutMs > 0) {
      this.timers.push(cmd.now + task.options.timeoutMs, {
        kind: 'timeout',
        taskId: task.id,
        attempt: task.attempt,
      });
    }
    const worker = this.workers.get(cmd.workerId);
    if (worker) {
      worker.running.add(task.id);
      if (worker.running.size >= worker.concurrency) this.free.markBusy(worker);
    }
    this.emit({ type: 'task.assigned', task, workerId: cmd.workerId });
    return OK;
  }

  private complete(cmd: CompleteCommand): CommandResult {
    const task = this.tasks.get(cmd.taskId);
    if (!this.holds(task, cmd.workerId, cmd.attempt)) return this.leaseNotHeld(cmd.taskId);
    const worker = this.release(task, cmd.now);
    task.result = cmd.result;
    this.finish(task, 'completed', cmd.now);
    if (worker) worker.completed++;
    this.emit({ type: 'task.completed', task, workerId: cmd.workerId });
    if (worker) this.fillWorker(worker, cmd.now);
    return OK;
  }

  private failTask(cmd: FailCommand): CommandResult {
    const task = this.tasks.get(cmd.taskId);
    if (!this.holds(task, cmd.workerId, cmd.attempt)) return this.leaseNotHeld(cmd.taskId);
    const worker = this.release(task, cmd.now);
    if (worker) worker.failed++;
    task.error = cmd.error;
    if (!cmd.retryable || task.attempt >= task.options.maxAttempts) {
      this.bury(task, cmd.now);
    } else {
      const delay = backoffDelay(
        task.options.backoff,
        task.attempt,
        jitterFor(task.id, task.attempt),
      );
      const queue = this.queue(task.queue);
      task.runAt = cmd.now + delay;
      task.state = 'delayed';
      task.workerId = undefined;
      queue.delayed++;
      this.timers.push(task.runAt, { kind: 'delay', taskId: task.id, gen: task.gen });
      this.emit({ type: 'task.failed', task, workerId: cmd.workerId, retryAt: task.runAt });
    }
    if (worker) this.fillWorker(worker, cmd.now);
    return OK;
  }

  /** A lease ended without a verdict: the task goes back to the front of its queue. */
  private requeue(cmd: RequeueCommand): CommandResult {
    const task = this.tasks.get(cmd.taskId);
    if (!task || task.state !== 'leased' || task.attempt !== cmd.attempt) {
      return fail(ErrorCode.INVALID_STATE, `task ${cmd.taskId} holds no lease ${cmd.attempt}`);
    }
    const worker = this.release(task, cmd.now);
    task.workerId = undefined;
    if (task.attempt >= task.options.maxAttempts) {
      task.error = { code: TaskErrorCode.LEASE_LOST, message: `lease lost: ${cmd.reason}` };
      this.bury(task, cmd.now);
    } else {
      const queue = this.queue(task.queue);
      task.state = 'queued';
      queue.pushFront(task);
      this.emit({ type: 'task.requeued', task, reason: cmd.reason });
      this.dispatchQueue(queue, cmd.now);
    }
    if (worker) this.fillWorker(worker, cmd.now);
    return OK;
  }

  /** Derive, apply and journal a requeue: the one path by which a lease is lost. */
  private loseLease(task: TaskRecord, now: number, reason: string): void {
    const cmd: RequeueCommand = {
      type: 'task.requeue',
      now,
      taskId: task.id,
      attempt: task.attempt,
      reason,
    };
    // MUST journal before applying: applying may derive leases, which replay must see after.
    this.effects.journal.push(cmd);
    this.requeue(cmd);
  }

  /** A delayed task's time has come: it joins the back of its queue. */
  private promote(taskId: string, now: number): CommandResult {
    const task = this.tasks.get(taskId);
    if (!task || task.state !== 'delayed')
      return fail(ErrorCode.INVALID_STATE, `task ${taskId} is not delayed`);
    const queue = this.queue(task.queue);
    queue.delayed--;
    task.state = 'queued';
    task.seq = this.nextSeq++;
    queue.push(task);
    this.dispatchQueue(queue, now);
    return OK;
  }

  private expire(taskId: string, now: number): CommandResult {
    const task = this.tasks.get(taskId);
    if (!task || (task.state !== 'queued' && task.state !== 'delayed')) {
      return fail(ErrorCode.INVALID_STATE, `task ${taskId} cannot expire`);
    }
    this.unqueue(task);
    task.error = {
      code: TaskErrorCode.EXPIRED,
      message: 'no worker started the task before its TTL ran out',
    };
    this.finish(task, 'expired', now);
    this.emit({ type: 'task.expired', task });
    return OK;
  }

  private cancel(cmd: CancelCommand): CommandResult {
    const task = this.tasks.get(cmd.taskId);
    if (!task) return fail(ErrorCode.TASK_NOT_FOUND, `no task ${cmd.taskId}`);
    if (TERMINAL.has(task.state)) {
      return fail(ErrorCode.INVALID_STATE, `task ${task.id} is already ${task.state}`);
    }
    let worker: WorkerRecord | undefined;
    if (task.state === 'leased') {
      const workerId = task.workerId!;
      const attempt = task.attempt;
      worker = this.release(task, cmd.now);
      this.emit({ type: 'lease.revoked', taskId: task.id, workerId, attempt, reason: 'cancelled' });
    } else {
      this.unqueue(task);
    }
    task.error = { code: TaskErrorCode.CANCELLED, message: cmd.reason ?? 'cancelled' };
    this.finish(task, 'cancelled', cmd.now);
    this.emit({ type: 'task.cancelled', task });
    if (worker) this.fillWorker(worker, cmd.now);
    return OK;
  }

  private retract(cmd: RetractCommand): CommandResult {
    const workers = new Set<WorkerRecord>();
    for (const taskId of cmd.taskIds) {
      const task = this.tasks.get(taskId);
      if (!task) continue;
      if (task.state === 'leased') {
        const workerId = task.workerId!;
        const attempt = task.attempt;
        const worker = this.release(task, cmd.now);
        if (worker) workers.add(worker);
        this.emit({ type: 'lease.revoked', taskId, workerId, attempt, reason: 'cancelled' });
      } else if (task.state === 'dead') {
        this.queue(task.queue).dead.delete(taskId);
      } else if (!TERMINAL.has(task.state)) {
        this.unqueue(task);
      }
      this.dropTask(task);
      this.emit({ type: 'task.evicted', taskId, queue: task.queue });
    }
    for (const worker of workers) this.fillWorker(worker, cmd.now);
    return OK;
  }

  private retry(taskId: string, now: number): CommandResult {
    const task = this.tasks.get(taskId);
    if (!task) return fail(ErrorCode.TASK_NOT_FOUND, `no task ${taskId}`);
    if (task.state !== 'dead')
      return fail(ErrorCode.INVALID_STATE, `task ${taskId} is ${task.state}, not dead`);
    const queue = this.queue(task.queue);
    queue.dead.delete(task.id);
    task.attempt = 0;
    task.error = undefined;
    task.finishedAt = 0;
    task.seq = this.nextSeq++;
    task.state = 'queued';
    queue.push(task);
    this.emit({ type: 'task.retried', task });
    this.dispatchQueue(queue, now);
    return OK;
  }

  private bury(task: TaskRecord, now: number): void {
    this.finish(task, 'dead', now);
    this.queue(task.queue).dead.add(task.id);
    this.emit({ type: 'task.dead', task });
  }

  private finish(task: TaskRecord, state: TaskRecord['state'], now: number): void {
    task.state = state;
    task.finishedAt = now;
    // Dead tasks stay until an operator retries or purges them.
    if (state !== 'dead') this.finished.add(task);
  }

  /** Evict the kept finished task that expires first, if it expires by `limit`. */
  private evictNext(limit = Infinity): boolean {
    const task = this.finished.next(this.tasks, limit);
    if (!task) return false;
    this.dropTask(task);
    this.emit({ type: 'task.evicted', taskId: task.id, queue: task.queue });
    return true;
  }

  /** Take a queued or delayed task out of the waiting counts (its queue entry goes stale). */
  private unqueue(task: TaskRecord): void {
    const queue = this.queue(task.queue);
    if (task.state === 'queued') queue.forget(task);
    else if (task.state === 'delayed') queue.delayed--;
  }

  /** End a lease: free the worker's slot. Returns the worker when it is still known. */
  private release(task: TaskRecord, now: number): WorkerRecord | undefined {
    const queue = this.queue(task.queue);
    queue.leased--;
    const worker = task.workerId === undefined ? undefined : this.workers.get(task.workerId);
    if (worker) {
      worker.running.delete(task.id);
      worker.lastSeen = Math.max(worker.lastSeen, now);
      this.free.markFree(worker);
    }
    return worker;
  }

  private holds(
    task: TaskRecord | undefined,
    workerId: string,
    attempt: number,
  ): task is TaskRecord {
    return (
      task !== undefined &&
      task.state === 'leased' &&
      task.workerId === workerId &&
      task.attempt === attempt
    );
  }

  private leaseNotHeld(taskId: string): CommandResult {
    return fail(
      ErrorCode.LEASE_NOT_HELD,
      `this worker holds no lease on task ${taskId} for that attempt (it finished, was cancelled, or was re-assigned after the lease was lost)`,
    );
  }

  // ------------------------------------------------------------------ dispatch

  /** Hand queued tasks of `queue` to its free workers, round-robin. */
  private dispatchQueue(queue: QueueState, now: number): void {
    if (queue.paused || queue.runnable === 0) return;
    const free = this.free.of(queue.name);
    if (!free || free.size === 0) return;
    let misses = 0;
    while (queue.runnable > 0 && free.size > 0 && misses < free.size) {
      const worker = free.values().next().value as WorkerRecord;
      const task = queue.take(worker.capabilities);
      // Rotate so the next task goes to the next free worker.
      free.delete(worker);
      if (!task) {
        free.add(worker);
        misses++;
        continue;
      }
      misses = 0;
      this.leaseTo(task, worker, now, true);
      if (FreeWorkers.canTake(worker)) free.add(worker);
    }
  }

  /** Give `worker` as many tasks as its free slots allow, from all its queues. */
  private fillWorker(worker: WorkerRecord, now: number): void {
    while (FreeWorkers.canTake(worker)) {
      let best: QueueState | undefined;
      let bestLevel = 99;
      for (let i = 0; i < worker.queues.length; i++) {
        const queue = this.queues.get(worker.queues[i]!);
        if (!queue || queue.paused || queue.runnable === 0) continue;
        for (let level = 0; level < bestLevel && level < 4; level++) {
          if (queue.depth[level]! > 0) {
            best = queue;
            bestLevel = level;
            break;
          }
        }
      }
      if (!best) return;
      let task = best.take(worker.capabilities);
      if (!task) {
        // The best queue has nothing this worker can run; try each queue in turn.
        for (let i = 0; i < worker.queues.length && !task; i++) {
          const queue = this.queues.get(worker.queues[i]!);
          if (queue && !queue.paused && queue.runnable > 0) task = queue.take(worker.capabilities);
        }
        if (!task) return;
      }
      this.leaseTo(task, worker, now, true);
    }
  }

  private leaseTo(task: TaskRecord, worker: WorkerRecord, now: number, fromTake: boolean): void {
    const cmd: LeaseCommand = {
      type: 'task.lease',
      now,
      taskId: task.id,
      workerId: worker.id,
      attempt: task.attempt + 1,
    };
    this.effects.journal.push(cmd);
    this.applyLease(cmd, fromTake);
  }

  // ------------------------------------------------------------------ workers

  private register(cmd: RegisterWorkerCommand): CommandResult {
    const hbTimeout =
      cmd.kind === 'http' ? this.options.httpLeaseTimeoutMs : this.options.heartbeatTimeoutMs;
    let worker = this.workers.get(cmd.workerId);
    const resumed: string[] = [];
    const dropped: string[] = [];
    if (worker) {
      if (worker.owner !== cmd.owner)
        return fail(ErrorCode.FORBIDDEN, `worker id ${cmd.workerId} belongs to another identity`);
      if (worker.kind !== cmd.kind && worker.session !== undefined)
        return fail(
          ErrorCode.CONFLICT,
          `worker ${cmd.workerId} is connected over ${worker.kind === 'ws' ? 'WebSocket' : 'HTTP'}; ` +
            'disconnect it or use another worker id',
        );
      // A reconnect (or a replacement): keep the leases the worker says it still runs, of
      // the queues it registers for now.
      const queues = new Set(cmd.queues);
      this.free.markBusy(worker);
      // Out of dispatch until its new settings are in: a lease released just below would
      // otherwise go straight back to it under the old concurrency (found by the property test).
      worker.state = 'disconnected';
      const claimed = new Map((cmd.running ?? []).map((r) => [r.taskId, r.attempt]));
      // Each lost lease goes to the front of its queue: newest first keeps their order.
      const held = [...worker.running].map((id) => this.tasks.get(id)!);
      for (const task of held.sort((a, b) => b.seq - a.seq)) {
        if (claimed.get(task.id) !== task.attempt || !queues.has(task.queue))
          this.loseLease(task, cmd.now, 'worker-restarted');
      }
      worker.kind = cmd.kind;
      worker.session = cmd.session;
      worker.queues = [...new Set(cmd.queues)];
      worker.capabilities = capabilitySet(cmd.capabilities);
      worker.concurrency = cmd.concurrency;
      worker.state = 'active';
      worker.lastSeen = cmd.now;
      worker.epoch++;
      worker.heartbeatTimeoutMs = hbTimeout;
      if (cmd.name !== undefined) worker.name = cmd.name;
    } else {
      worker = {
        id: cmd.workerId,
        name: cmd.name,
        kind: cmd.kind,
        owner: cmd.owner,
        session: cmd.session,
        queues: [...new Set(cmd.queues)],
        capabilities: capabilitySet(cmd.capabilities),
        concurrency: cmd.concurrency,
        running: new Set(),
        state: 'active',
        connectedAt: cmd.now,
        lastSeen: cmd.now,
        disconnectedAt: 0,
        epoch: 1,
        heartbeatTimeoutMs: hbTimeout,
        completed: 0,
        failed: 0,
      };
      this.workers.set(worker.id, worker);
      this.timers.push(cmd.now + hbTimeout, { kind: 'heartbeat', worker });
    }
    for (const r of cmd.running ?? []) {
      if (worker.running.has(r.taskId)) resumed.push(r.taskId);
      else dropped.push(r.taskId);
    }
    for (const name of worker.queues) this.queue(name);
    this.emit({ type: 'worker.registered', worker, resumed, dropped });
    if (worker.kind === 'ws') {
      this.free.markFree(worker);
      this.fillWorker(worker, cmd.now);
    }
    return { ok: true, resumed, dropped };
  }

  /** HTTP workers pull: lease up to `max` tasks now. */
  private pull(workerId: string, max: number, now: number): CommandResult {
    const worker = this.workers.get(workerId);
    if (!worker) return fail(ErrorCode.WORKER_NOT_FOUND, `no worker ${workerId}; register first`);
    worker.lastSeen = now;
    const leased: TaskRecord[] = [];
    const limit = Math.min(max, worker.concurrency - worker.running.size);
    for (let n = 0; n < limit && worker.state === 'active'; n++) {
      let task: TaskRecord | undefined;
      for (let level = 0; level < 4 && !task; level++) {
        for (const name of worker.queues) {
          const queue = this.queues.get(name);
          if (!queue || queue.paused || queue.depth[level] === 0) continue;
          task = queue.take(worker.capabilities);
          if (task) break;
        }
      }
      if (!task) break;
      this.leaseTo(task, worker, now, true);
      leased.push(task);
    }
    return { ok: true, leased };
  }

  private touch(workerId: string, now: number): boolean {
    const worker = this.workers.get(workerId);
    if (!worker) return false;
    if (now > worker.lastSeen) worker.lastSeen = now;
    return true;
  }

  private disconnect(workerId: string, now: number, session?: string): CommandResult {
    const worker = this.workers.get(workerId);
    if (!worker) return fail(ErrorCode.WORKER_NOT_FOUND, `no worker ${workerId}`);
    if (session !== undefined && worker.session !== session) return OK; // superseded session
    this.free.markBusy(worker);
    worker.state = 'disconnected';
    worker.session = undefined;
    worker.disconnectedAt = now;
    worker.epoch++;
    if (worker.running.size === 0) {
      this.removeWorker(worker, now, 'unregistered');
      return OK;
    }
    this.timers.push(now + this.options.disconnectGraceMs, {
      kind: 'grace',
      workerId,
      epoch: worker.epoch,
    });
    this.emit({ type: 'worker.disconnected', worker });
    return OK;
  }

  private drain(workerId: string): CommandResult {
    const worker = this.workers.get(workerId);
    if (!worker) return fail(ErrorCode.WORKER_NOT_FOUND, `no worker ${workerId}`);
    if (worker.state === 'active') {
      this.free.markBusy(worker);
      worker.state = 'draining';
      this.emit({ type: 'worker.draining', worker });
    }
    return OK;
  }

  private removeWorker(
    worker: WorkerRecord,
    now: number,
    reason: 'unregistered' | 'heartbeat-timeout' | 'grace-expired',
  ): void {
    this.free.markBusy(worker);
    this.workers.delete(worker.id);
    worker.state = 'disconnected';
    // Newest lease first: each goes to the front, so the oldest ends up first in line.
    for (const taskId of [...worker.running].reverse())
      this.loseLease(this.tasks.get(taskId)!, now, reason);
    this.emit({ type: 'worker.removed', worker, reason });
  }

  // ------------------------------------------------------------------ time

  private tick(now: number): void {
    for (;;) {
      const at = this.timers.peekKey();
      if (at === undefined || at > now) return;
      const timer = this.timers.pop()!;
      switch (timer.kind) {
        case 'delay': {
          const task = this.tasks.get(timer.taskId);
          if (!task || task.state !== 'delayed' || task.gen !== timer.gen) break;
          // Journaled: replay must see the task become runnable before the lease that follows.
          const cmd = { type: 'task.promote' as const, now, taskId: task.id };
          this.effects.journal.push(cmd);
          this.promote(task.id, now);
          break;
        }
        case 'ttl': {
          const task = this.tasks.get(timer.taskId);
          if (!task || task.attempt > 0) break;
          if (task.state !== 'queued' && task.state !== 'delayed') break;
          this.effects.journal.push({ type: 'task.expire', now, taskId: task.id });
          this.expire(task.id, now);
          break;
        }
        case 'timeout': {
          const task = this.tasks.get(timer.taskId);
          if (!task || task.state !== 'leased' || task.attempt !== timer.attempt) break;
          const cmd: FailCommand = {
            type: 'task.fail',
            now,
            taskId: task.id,
            workerId: task.workerId!,
            attempt: task.attempt,
            error: {
              code: TaskErrorCode.TIMEOUT,
              message: `attempt ran longer than ${task.options.timeoutMs} ms`,
            },
            retryable: true,
          };
          this.emit({
            type: 'lease.revoked',
            taskId: task.id,
            workerId: cmd.workerId,
            attempt: cmd.attempt,
            reason: 'timeout',
          });
          this.effects.journal.push(cmd); // before: failTask may lease the freed slot
          this.failTask(cmd);
          break;
        }
        case 'heartbeat': {
          // One chain per worker record; it ends when the record is removed.
          const worker = timer.worker;
          if (this.workers.get(worker.id) !== worker) break;
          const due = worker.lastSeen + worker.heartbeatTimeoutMs;
          if (worker.state === 'disconnected')
            this.timers.push(now + worker.heartbeatTimeoutMs, timer);
          else if (due > now) this.timers.push(due, timer);
          else this.removeWorker(worker, now, 'heartbeat-timeout');
          break;
        }
        case 'grace': {
          const worker = this.workers.get(timer.workerId);
          if (!worker || worker.state !== 'disconnected' || worker.epoch !== timer.epoch) break;
          this.removeWorker(worker, now, 'grace-expired');
          break;
        }
      }
    }
  }

  private gc(now: number): CommandResult {
    let count = 0;
    while (this.evictNext(now)) count++;
    return { ok: true, count };
  }

  private recover(now: number): CommandResult {
    const leased = [...this.tasks.values()].filter((t) => t.state === 'leased');
    // Each goes to the front of its queue: requeue newest first to keep their order.
    leased.sort((a, b) => b.seq - a.seq);
    for (const task of leased) this.loseLease(task, now, 'hub-restarted');
    return { ok: true, count: leased.length };
  }

  // ------------------------------------------------------------------ queues

  queue(name: string): QueueState {
    let queue = this.queues.get(name);
    if (!queue) this.queues.set(name, (queue = new QueueState(name)));
    return queue;
  }

  private setPaused(name: string, paused: boolean, now: number): CommandResult {
    const queue = this.queue(name);
    if (queue.paused === paused) return OK;
    queue.paused = paused;
    this.emit({ type: paused ? 'queue.paused' : 'queue.resumed', queue: name });
    if (!paused) this.dispatchQueue(queue, now);
    return OK;
  }

  private purgeDead(name: string): CommandResult {
    const queue = this.queues.get(name);
    if (!queue) return fail(ErrorCode.QUEUE_NOT_FOUND, `no queue ${name}`);
    const count = queue.dead.size;
    for (const id of queue.dead) {
      const task = this.tasks.get(id);
      if (task) this.dropTask(task);
    }
    queue.dead.clear();
    this.emit({ type: 'queue.purged', queue: name, count });
    return { ok: true, count };
  }

  private dropTask(task: TaskRecord): void {
    if (this.tasks.delete(task.id) && FinishedTasks.isKept(task)) this.finished.removed();
    if (task.options.idempotencyKey !== undefined) {
      const key = idemKey(task.queue, task.options.idempotencyKey);
      if (this.idempotency.get(key) === task.id) this.idempotency.delete(key);
    }
  }

  // ------------------------------------------------------------------ restore support

  /** Used by snapshot restore: register a task record without events. */
  adoptTask(task: TaskRecord): void {
    this.tasks.set(task.id, task);
    if (task.seq >= this.nextSeq) this.nextSeq = task.seq + 1;
    if (task.options.idempotencyKey !== undefined) {
      this.idempotency.set(idemKey(task.queue, task.options.idempotencyKey), task.id);
    }
    const queue = this.queue(task.queue);
    task.queue = queue.name;
    switch (task.state) {
      case 'delayed':
        queue.delayed++;
        this.timers.push(task.runAt, { kind: 'delay', taskId: task.id, gen: task.gen });
        if (task.expiresAt > 0 && task.attempt === 0) {
          this.timers.push(task.expiresAt, { kind: 'ttl', taskId: task.id });
        }
        break;
      case 'queued':
        // Queue position is restored separately, in order.
        if (task.expiresAt > 0 && task.attempt === 0) {
          this.timers.push(task.expiresAt, { kind: 'ttl', taskId: task.id });
        }
        break;
      case 'leased':
        queue.leased++;
        break;
      case 'dead':
        queue.dead.add(task.id);
        break;
      default:
        this.finished.add(task);
    }
  }

  setNextSeq(seq: number): void {
    this.nextSeq = Math.max(this.nextSeq, seq);
  }

  getNextSeq(): number {
    return this.nextSeq;
  }

  private emit(event: HubEvent): void {
    this.effects.events.push(event);
  }
}

function idemKey(queue: string, key: string): string {
  return queue + '\u0000' + key;
}
