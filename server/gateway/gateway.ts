import {
  ErrorCode,
  type WireErrorCodeName,
  type QueueLimitsSpec,
  type TaskError,
  type TaskSpec,
  type WhoamiJson,
} from '../../protocol/index.js';
import { hasRole, mayUseQueue, type Role } from '../auth/index.js';
import { isTerminal, matchesTask, type AttemptRecord, type TaskFilter } from '../core/index.js';
import type {
  Command,
  CommandResult,
  QueueState,
  TaskBulkCommand,
  TaskRecord,
  WorkerRecord,
} from '../core/index.js';
import { HubPhase, type Engine } from './engine.js';
import { storeFailure } from './store-failure.js';
import type { Caller } from './caller.js';
import { BusOperations } from './bus-operations.js';
import { ClusterOperations } from './cluster-operations.js';
import { FederationOperations } from './federation-operations.js';
import { FlowOperations } from './flow-operations.js';
import { NodeOperations } from './node-operations.js';
import { OperationError } from './operation-error.js';
import { ScheduleOperations } from './schedule-operations.js';
import { TaskPurge } from './task-purge.js';
import { matchingDead, searchTasks, type TaskPage, type TaskSearch } from './task-search.js';
import { TokenOperations } from './token-operations.js';
import { TransactionOperations } from './transaction-operations.js';
import { UserOperations } from './user-operations.js';
import { WorkspaceOperations } from './workspace-operations.js';
import { workerAccessDenied } from './worker-access.js';

type Ok = CommandResult & { ok: true };

import type { Done } from './done.js';
export type { Done } from './done.js';

/** Pass as `done` when nobody waits for the outcome (a frame without an id): no waiter at all. */
export const NO_REPLY = null;

export interface SubmitOutcome {
  taskIds: string[];
  /** Indexes of the specs whose idempotency key matched an existing task. */
  duplicates: number[];
}

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

/** What a worker reports about an attempt it holds. */
export interface Completion {
  workerId: string;
  taskId: string;
  attempt: number;
  result?: unknown;
}

export interface Failure {
  workerId: string;
  taskId: string;
  attempt: number;
  error: TaskError;
}

/** What a task listing asks for (task-search.ts). */
export type TaskListQuery = TaskSearch;

/**
 * The one path from every transport to the engine. WebSocket frames, REST routes, the
 * Cortex-compatible paths and the CLI (through REST) perform every operation and every read
 * here, so each rule exists once:
 *
 * - authorisation: the caller's role, its identity (a worker acts only as itself) and its
 *   token's queues;
 * - the phase gate: NOT_READY while the hub recovers, SHUTTING_DOWN for new work once it
 *   drains;
 * - ids for new tasks and workers;
 * - the wait for durability: a resolved promise means the change survives a crash, and a
 *   change that could not be made durable is taken back where it can be (submits);
 * - error codes from the registry, as OperationError.
 *
 * Transports parse, call and render; they decide nothing.
 */
export class Gateway {
  /** Nodes and node commands (gateway/node-operations.ts). */
  readonly nodes: NodeOperations;
  /** Token revocations (gateway/token-operations.ts). */
  readonly tokens: TokenOperations;
  /** The message bus (gateway/bus-operations.ts). */
  readonly bus: BusOperations;
  /** Groups of submits, cancels and publishes applied all or nothing (transaction-operations.ts). */
  readonly transactions: TransactionOperations;
  /** Federated summaries and federation keys (gateway/federation-operations.ts). */
  readonly federation: FederationOperations;
  /** Workspaces on nodes (gateway/workspace-operations.ts). */
  readonly workspaces: WorkspaceOperations;
  /** Users and their SSH keys (gateway/user-operations.ts). */
  readonly users: UserOperations;
  /** Cron and interval schedules (gateway/schedule-operations.ts). */
  readonly schedules: ScheduleOperations;
  /** Flows: trees of tasks, parents after children (gateway/flow-operations.ts). */
  readonly flows: FlowOperations;
  /** Purge of a queue's finished tasks by state and filter (gateway/task-purge.ts). */
  readonly purge: TaskPurge;
  /** The hubs of the cluster (gateway/cluster-operations.ts). */
  readonly cluster: ClusterOperations;

  constructor(private readonly hub: Engine) {
    this.nodes = new NodeOperations(hub, this);
    this.tokens = new TokenOperations(hub, this);
    this.bus = new BusOperations(hub, this);
    this.transactions = new TransactionOperations(hub, this);
    this.federation = new FederationOperations(hub, this);
    this.workspaces = new WorkspaceOperations(hub, this, this.nodes);
    this.users = new UserOperations(hub, this, this.workspaces);
    this.schedules = new ScheduleOperations(hub, this);
    this.flows = new FlowOperations(hub, this);
    this.purge = new TaskPurge(hub, this);
    this.cluster = new ClusterOperations(hub, this);
  }

  // ------------------------------------------------------------------ tasks

  submit(caller: Caller, specs: TaskSpec[]): Promise<SubmitOutcome>;
  submit(caller: Caller, specs: TaskSpec[], done: Done<SubmitOutcome>): undefined;
  submit(
    caller: Caller,
    specs: TaskSpec[],
    done?: Done<SubmitOutcome>,
  ): Promise<SubmitOutcome> | undefined {
    this.requireRole(caller, 'producer', 'submit tasks');
    for (const spec of specs) this.requireQueue(caller, spec.queue);
    this.gateNewWork('tasks');
    const tasks = specs.map((spec) => ({ id: this.hub.ids.next(), spec }));
    const cmd: Command = { type: 'task.submit', now: this.hub.now(), tasks };
    if (caller.session !== undefined) cmd.submitter = caller.session;
    const { result, seq } = this.hub.execute(cmd);
    const ok = this.check(result);
    return this.settle(
      seq,
      done,
      undefined,
      () => ({ taskIds: ok.taskIds!, duplicates: ok.duplicates! }),
      (err) => {
        this.hub.rollbackSubmit(
          tasks.map((t) => t.id),
          err,
        );
        return `tasks not accepted: could not persist them (${err.message})`;
      },
    );
  }

  cancel(caller: Caller, taskId: string, reason?: string): Promise<TaskRecord>;
  cancel(
    caller: Caller,
    taskId: string,
    reason: string | undefined,
    done: Done<TaskRecord>,
  ): undefined;
  cancel(
    caller: Caller,
    taskId: string,
    reason?: string,
    done?: Done<TaskRecord>,
  ): Promise<TaskRecord> | undefined {
    this.requireRole(caller, 'producer', 'cancel tasks');
    const task = this.visibleTask(caller, taskId);
    const cmd: Command = { type: 'task.cancel', now: this.hub.now(), taskId };
    if (reason !== undefined) cmd.reason = reason;
    const { result, seq } = this.hub.execute(cmd);
    this.check(result, taskId);
    return this.settle(seq, done, taskId, () => task);
  }

  retry(caller: Caller, taskId: string): Promise<TaskRecord> {
    this.requireRole(caller, 'admin', 'retry dead tasks');
    const task = this.visibleTask(caller, taskId);
    this.gateNewWork('tasks');
    return this.durably({ type: 'task.retry', now: this.hub.now(), taskId }, taskId).then(
      () => task,
    );
  }

  /** A task the caller may see: its queue is allowed by the token. */
  task(caller: Caller, taskId: string): TaskRecord {
    this.requireRole(caller, 'producer', 'read tasks');
    return this.visibleTask(caller, taskId);
  }

  /** One page of a task search in creation order, filtered to what the caller may see. */
  listTasks(caller: Caller, q: TaskSearch): TaskPage {
    this.requireRole(caller, 'producer', 'list tasks');
    if (q.queue !== undefined) this.requireQueue(caller, q.queue);
    const core = this.hub.core;
    return searchTasks(core.tasks, (name) => core.queues.get(name)?.dead, caller.grant, q);
  }

  /**
   * One bulk action on a queue's tasks matching `f` (docs/dead-letters.md): cancel
   * unfinished ones, retry or purge dead ones, at most `limit` (oldest first) in one core
   * command; `more` says whether matching tasks remain. Admin, with the queue allowed.
   */
  bulk(
    caller: Caller,
    name: string,
    action: TaskBulkCommand['action'],
    f: TaskFilter,
    limit: number,
    reason?: string,
  ): Promise<{ count: number; more: boolean }> {
    const q = this.queue(caller, name);
    if (action === 'retry') this.gateNewWork('tasks');
    const core = this.hub.core;
    const filter: TaskFilter = { ...f, queue: q.name };
    let chosen: TaskRecord[];
    if (action === 'cancel') {
      chosen = [];
      for (const task of core.tasks.values()) {
        if (task.queue !== q.name || isTerminal(task) || !matchesTask(task, filter)) continue;
        chosen.push(task);
        if (chosen.length > limit) break;
      }
    } else {
      chosen = matchingDead(q.dead, core.tasks, { ...filter, state: 'dead' });
    }
    const more = chosen.length > limit;
    const cmd: Command = {
      type: 'task.bulk',
      now: this.hub.now(),
      queue: q.name,
      action,
      taskIds: chosen.slice(0, limit).map((t) => t.id),
    };
    if (reason !== undefined) cmd.reason = reason;
    return this.durably(cmd).then((ok) => ({ count: ok.count ?? 0, more }));
  }

  /** Remove one dead task of the queue for good (the same command as a bulk purge). */
  purgeDeadTask(caller: Caller, name: string, taskId: string): Promise<{ count: number }> {
    const { task } = this.deadTask(caller, name, taskId);
    const cmd: Command = {
      type: 'task.bulk',
      now: this.hub.now(),
      queue: task.queue,
      action: 'purge',
      taskIds: [task.id],
    };
    return this.durably(cmd).then((ok) => ({ count: ok.count ?? 0 }));
  }

  /** A dead task of the queue with its failed attempts (the last MAX_ATTEMPTS_KEPT). */
  deadTask(
    caller: Caller,
    name: string,
    taskId: string,
  ): { task: TaskRecord; attempts: readonly AttemptRecord[] } {
    const q = this.queue(caller, name);
    const task = this.hub.core.tasks.get(taskId);
    if (!task || task.queue !== q.name || task.state !== 'dead')
      throw new OperationError(
        ErrorCode.TASK_NOT_FOUND,
        `no dead task ${taskId} in queue ${q.name}`,
        taskId,
      );
    return { task, attempts: this.hub.core.attempts.of(taskId) };
  }

  /**
   * Which of `taskIds` the caller may watch: those still running are watched by `session`
   * from now on; finished ones are returned for their result; the rest are unknown to it
   * (never existed, evicted, or of a queue its token does not allow: indistinguishable).
   */
  watch(
    caller: Caller,
    taskIds: string[],
    progress: boolean,
  ): { finished: TaskRecord[]; missing: string[] } {
    this.requireRole(caller, 'producer', 'watch tasks');
    const finished: TaskRecord[] = [];
    const missing: string[] = [];
    for (const taskId of taskIds) {
      const task = this.hub.core.tasks.get(taskId);
      if (!task || !mayUseQueue(caller.grant, task.queue)) missing.push(taskId);
      else if (isTerminal(task)) finished.push(task);
      else if (caller.session !== undefined) this.hub.watch(caller.session, taskId, progress);
    }
    return { finished, missing };
  }

  // ------------------------------------------------------------------ a worker's reports

  progress(
    caller: Caller,
    workerId: string,
    taskId: string,
    attempt: number,
    value: unknown,
  ): void {
    this.asWorker(caller, workerId, taskId);
    this.check(
      this.hub.execute({
        type: 'task.progress',
        now: this.hub.now(),
        taskId,
        workerId,
        attempt,
        value,
      }).result,
      taskId,
    );
  }

  /** The worker finished the attempt: its result is the task's result. */
  complete(caller: Caller, report: Completion): Promise<TaskRecord | undefined>;
  complete(
    caller: Caller,
    report: Completion,
    done: Done<TaskRecord | undefined> | typeof NO_REPLY,
  ): undefined;
  complete(
    caller: Caller,
    report: Completion,
    done?: Done<TaskRecord | undefined> | typeof NO_REPLY,
  ): Promise<TaskRecord | undefined> | undefined {
    const { workerId, taskId, attempt, result } = report;
    return this.report(
      caller,
      { type: 'task.complete', now: this.hub.now(), workerId, taskId, attempt, result },
      done,
    );
  }

  /** The attempt failed: retried with backoff, or dead-lettered on its last attempt. */
  fail(caller: Caller, report: Failure): Promise<TaskRecord | undefined>;
  fail(
    caller: Caller,
    report: Failure,
    done: Done<TaskRecord | undefined> | typeof NO_REPLY,
  ): undefined;
  fail(
    caller: Caller,
    report: Failure,
    done?: Done<TaskRecord | undefined> | typeof NO_REPLY,
  ): Promise<TaskRecord | undefined> | undefined {
    const { workerId, taskId, attempt, error } = report;
    return this.report(
      caller,
      {
        type: 'task.fail',
        now: this.hub.now(),
        workerId,
        taskId,
        attempt,
        error: {
          code: error.code ?? 'HANDLER_ERROR',
          message: error.message,
          ...(error.details === undefined ? {} : { details: error.details }),
        },
        retryable: error.retryable ?? true,
      },
      done,
    );
  }

  /** A worker's outcome for an attempt it holds; settles with the task as it was before. */
  private report(
    caller: Caller,
    cmd: Command & { workerId: string; taskId: string },
    done: Done<TaskRecord | undefined> | typeof NO_REPLY | undefined,
  ): Promise<TaskRecord | undefined> | undefined {
    this.asWorker(caller, cmd.workerId, cmd.taskId);
    if (done === NO_REPLY) {
      // A frame without an id (the hot path of a push worker): nobody gets the task back.
      this.check(this.hub.execute(cmd).result, cmd.taskId);
      return undefined;
    }
    // Held before the command: a finished task may be evicted by the command itself.
    const task = this.hub.core.tasks.get(cmd.taskId);
    const { result, seq } = this.hub.execute(cmd);
    this.check(result, cmd.taskId);
    return this.settle(seq, done, cmd.taskId, () => task);
  }

  /**
   * Who the caller is, as its token says: what a client (the dashboard) needs to show only
   * what the token allows. Any valid token may ask about itself; nothing else is revealed.
   */
  whoami(caller: Caller): Omit<WhoamiJson, 'auth'> {
    const g = caller.grant;
    return {
      role: g.role,
      subject: g.subject ?? null,
      tokenId: g.tokenId ?? null,
      queues: g.queues ?? null,
      expiresAt: g.expiresAt ?? null,
    };
  }

  /** How many retained tasks are in each state, of the queues the caller may see. */
  taskCounts(caller: Caller): Record<string, number> {
    this.requireRole(caller, 'admin', 'read hub state');
    const counts: Record<string, number> = {};
    for (const t of this.hub.core.tasks.values())
      if (mayUseQueue(caller.grant, t.queue)) counts[t.state] = (counts[t.state] ?? 0) + 1;
    return counts;
  }

  /** Load across the queues the caller may see (a token without a queue scope: the whole hub). */
  stats(caller: Caller): {
    workers: number;
    tasks: { retained: number; queued: number; delayed: number; leased: number; dead: number };
  } {
    const queues = this.queues(caller);
    const tasks = { retained: 0, queued: 0, delayed: 0, leased: 0, dead: 0 };
    for (const q of queues) {
      tasks.leased += q.leased;
      tasks.queued += q.runnable;
      tasks.delayed += q.delayed;
      tasks.dead += q.dead.size;
    }
    const core = this.hub.core;
    if (caller.grant.queues === undefined)
      return { workers: core.workers.size, tasks: { ...tasks, retained: core.tasks.size } };
    for (const t of core.tasks.values()) if (mayUseQueue(caller.grant, t.queue)) tasks.retained++;
    return { workers: this.workers(caller).length, tasks };
  }

  // ------------------------------------------------------------------ workers

  /**
   * Register (or re-register) a worker. A push worker's connection is bound to the id when
   * the core accepts it (the hub does that on worker.registered, before the tasks pushed in
   * the same step), never before: a refused register leaves the id's holder undisturbed.
   */
  register(caller: Caller, req: RegisterRequest): RegisterOutcome {
    this.requireRole(caller, 'worker', 'register as a worker');
    for (const q of req.queues) this.requireQueue(caller, q);
    this.gateNewWork('workers');
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
    const ok = this.check(this.hub.execute(cmd).result);
    return {
      workerId,
      resumed: ok.resumed ?? [],
      dropped: ok.dropped ?? [],
      worker: this.hub.core.workers.get(workerId)!,
    };
  }

  heartbeat(caller: Caller, workerId: string): void {
    this.asWorker(caller, workerId);
    this.check(
      this.hub.execute({ type: 'worker.heartbeat', now: this.hub.now(), workerId }).result,
    );
  }

  /**
   * Stop giving the worker new tasks; it finishes what it runs. A worker draining itself
   * knows; anyone else draining it (an operator) has the hub tell it.
   */
  drain(caller: Caller, workerId: string): void {
    this.asWorker(caller, workerId);
    if (caller.boundWorker === workerId)
      this.check(this.hub.execute({ type: 'worker.drain', now: this.hub.now(), workerId }).result);
    else this.hub.drainWorker(workerId);
  }

  /** Remove the worker; a connected push worker's connection is closed. */
  unregister(caller: Caller, workerId: string): void {
    this.asWorker(caller, workerId);
    this.check(
      this.hub.execute({ type: 'worker.unregister', now: this.hub.now(), workerId }).result,
    );
  }

  /** An operator closes a worker's connection (or removes a pull worker). */
  disconnect(caller: Caller, workerId: string): void {
    this.requireRole(caller, 'admin', 'disconnect workers');
    const worker = this.worker(caller, workerId);
    if (!this.hub.kickWorker(worker.id)) this.unregister(caller, worker.id);
  }

  /** A pull worker leases up to `max` tasks (this call is also its heartbeat). */
  pull(caller: Caller, workerId: string, max: number): Promise<TaskRecord[]> {
    this.asWorker(caller, workerId);
    return this.durably({ type: 'worker.pull', now: this.hub.now(), workerId, max }).then(
      (ok) => ok.leased ?? [],
    );
  }

  worker(caller: Caller, workerId: string): WorkerRecord {
    this.requireRole(caller, 'admin', 'read workers');
    const worker = this.hub.core.workers.get(workerId);
    if (!worker) throw new OperationError(ErrorCode.WORKER_NOT_FOUND, `no worker ${workerId}`);
    for (const q of worker.queues) this.requireQueue(caller, q);
    return worker;
  }

  workers(caller: Caller): WorkerRecord[] {
    this.requireRole(caller, 'admin', 'read workers');
    return [...this.hub.core.workers.values()].filter((w) =>
      w.queues.every((q) => mayUseQueue(caller.grant, q)),
    );
  }

  // ------------------------------------------------------------------ queues

  queues(caller: Caller): QueueState[] {
    this.requireRole(caller, 'admin', 'read queues');
    return [...this.hub.core.queues.values()].filter((q) => mayUseQueue(caller.grant, q.name));
  }

  queue(caller: Caller, name: string): QueueState {
    this.requireRole(caller, 'admin', 'read queues');
    this.requireQueue(caller, name);
    const q = this.hub.core.queues.get(name);
    if (!q) throw new OperationError(ErrorCode.QUEUE_NOT_FOUND, `no queue ${name}`);
    return q;
  }

  /** How many registered workers serve the queue. */
  queueWorkers(caller: Caller, name: string): number {
    this.requireRole(caller, 'admin', 'read queues');
    this.requireQueue(caller, name);
    let n = 0;
    for (const w of this.hub.core.workers.values()) if (w.queues.includes(name)) n++;
    return n;
  }

  pauseQueue(caller: Caller, name: string): Promise<QueueState> {
    const q = this.queue(caller, name);
    return this.durably({ type: 'queue.pause', now: this.hub.now(), queue: q.name }).then(() => q);
  }

  resumeQueue(caller: Caller, name: string): Promise<QueueState> {
    const q = this.queue(caller, name);
    return this.durably({ type: 'queue.resume', now: this.hub.now(), queue: q.name }).then(() => q);
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
    return this.durably({
      type: 'queue.limit',
      now: this.hub.now(),
      queue: q.name,
      limits: spec,
    }).then(() => q);
  }

  purgeDead(caller: Caller, name: string): Promise<number> {
    const q = this.queue(caller, name);
    return this.durably({ type: 'queue.purge-dead', now: this.hub.now(), queue: q.name }).then(
      (ok) => ok.count ?? 0,
    );
  }

  // ------------------------------------------------------------------ building blocks

  /**
   * Apply a command and resolve once it is durable. For commands the hub issues itself
   * (node bookkeeping) as well as for callers' changes.
   */
  durably(cmd: Command, taskId?: string): Promise<Ok> {
    const { result, seq } = this.hub.execute(cmd);
    const ok = this.check(result, taskId);
    return this.settle(seq, undefined, taskId, () => ok)!;
  }

  /**
   * Once journal position `seq` is durable, report `value()` to `done` (or the returned
   * promise); if it could not be made durable, report the store's failure, after `onLost`
   * (a rollback, which may also say what to tell the caller).
   */
  private settle<T>(
    seq: number,
    done: Done<T> | undefined,
    taskId: string | undefined,
    value: () => T,
    onLost?: (err: Error) => string,
  ): Promise<T> | undefined {
    const failure = (err: Error): OperationError =>
      new OperationError(
        storeFailure(err).code,
        onLost ? onLost(err) : `not persisted: ${err.message}`,
        taskId,
      );
    if (done) {
      this.hub.whenDurable(seq, (err) => (err ? done(failure(err)) : done(undefined, value())));
      return undefined;
    }
    return new Promise((resolve, reject) => {
      this.hub.whenDurable(seq, (err) => (err ? reject(failure(err)) : resolve(value())));
    });
  }

  /** `value()` once journal position `seq` is durable (to `done`, or the returned promise). */
  settleDurable<T>(seq: number, done: Done<T> | undefined, value: () => T): Promise<T> | undefined {
    return this.settle(seq, done, undefined, value);
  }

  /** The core's answer, or an OperationError with its code. */
  check(result: CommandResult, taskId?: string): Ok {
    if (!result.ok) throw new OperationError(result.code, result.message, taskId);
    return result;
  }

  requireRole(caller: Caller, role: Role, what: string): void {
    if (!hasRole(caller.grant, role))
      throw new OperationError(ErrorCode.FORBIDDEN, `role ${caller.grant.role} may not ${what}`);
  }

  requireQueue(caller: Caller, queue: string): void {
    if (!mayUseQueue(caller.grant, queue))
      throw new OperationError(ErrorCode.FORBIDDEN, `token does not allow queue ${queue}`);
  }

  /** NOT_READY while recovering; SHUTTING_DOWN once draining. */
  gateNewWork(what: string): void {
    const phase = this.hub.phase;
    if (phase === HubPhase.ready) return;
    const code: WireErrorCodeName =
      phase === HubPhase.created || phase === HubPhase.recovering
        ? ErrorCode.NOT_READY
        : ErrorCode.SHUTTING_DOWN;
    throw new OperationError(
      code,
      code === ErrorCode.NOT_READY
        ? `the hub is recovering its state and accepts no ${what} yet; retry shortly`
        : `the hub is shutting down and accepts no new ${what}`,
    );
  }

  private visibleTask(caller: Caller, taskId: string): TaskRecord {
    const task = this.hub.core.tasks.get(taskId);
    if (!task)
      throw new OperationError(
        ErrorCode.TASK_NOT_FOUND,
        `no task ${taskId} (never existed, or its result was evicted)`,
        taskId,
      );
    if (!mayUseQueue(caller.grant, task.queue))
      throw new OperationError(
        ErrorCode.FORBIDDEN,
        `token does not allow queue ${task.queue}`,
        taskId,
      );
    return task;
  }

  /**
   * The caller may act as `workerId`: a connection bound to it may; anyone else must own it
   * (or be an admin). Reports on a task also need its queue allowed by the token.
   */
  private asWorker(caller: Caller, workerId: string, taskId?: string): void {
    if (caller.boundWorker !== workerId) {
      if (caller.session !== undefined && caller.boundWorker === undefined)
        throw new OperationError(ErrorCode.NOT_REGISTERED, 'send register before worker frames');
      const worker = this.hub.core.workers.get(workerId);
      // A late report from a worker the hub already dropped holds no lease: the core answers
      // LEASE_NOT_HELD, as for any stale attempt.
      if (!(worker === undefined && taskId !== undefined)) {
        const denied = workerAccessDenied(caller.grant, workerId, worker);
        if (denied) throw new OperationError(denied.code, denied.message, taskId);
      }
    }
    // A token without a queue scope allows every queue: no need to look the task up.
    if (taskId === undefined || caller.grant.queues === undefined) return;
    const task = this.hub.core.tasks.get(taskId);
    if (task && !mayUseQueue(caller.grant, task.queue))
      throw new OperationError(
        ErrorCode.FORBIDDEN,
        `token does not allow queue ${task.queue}`,
        taskId,
      );
  }
}
