import type { QueueLimitsSpec, TaskSpec, WhoamiJson } from '../../protocol/index.js';
import type { Role } from '../auth/index.js';
import type {
  AttemptRecord,
  Command,
  CommandResult,
  QueueState,
  TaskBulkCommand,
  TaskFilter,
  TaskRecord,
  WorkerRecord,
} from '../core/index.js';
import type { Engine } from './engine.js';
import { asWorker, gateNewWork, requireQueue, requireRole, visibleTask } from './access-rules.js';
import { storeFailure } from './store-failure.js';
import type { Caller } from './caller.js';
import { BusOperations } from './bus-operations.js';
import { ClusterOperations } from './cluster-operations.js';
import { FederationOperations } from './federation-operations.js';
import { FlowOperations } from './flow-operations.js';
import type { GatewayRules, Ok } from './gateway-rules.js';
import { NodeOperations } from './node-operations.js';
import { OperationError } from './operation-error.js';
import { QueueOperations } from './queue-operations.js';
import { ScheduleOperations } from './schedule-operations.js';
import { StateReads } from './state-reads.js';
import { TaskOperations, type SubmitOutcome } from './task-operations.js';
import { TaskPurge } from './task-purge.js';
import type { TaskPage, TaskSearch } from './task-search.js';
import { TokenOperations } from './token-operations.js';
import { TransactionOperations } from './transaction-operations.js';
import { UserOperations } from './user-operations.js';
import {
  WorkerOperations,
  type RegisterOutcome,
  type RegisterRequest,
} from './worker-operations.js';
import { NO_REPLY, WorkerReports, type Completion, type Failure } from './worker-reports.js';
import { WorkspaceOperations } from './workspace-operations.js';

import type { Done } from './done.js';
export type { Done } from './done.js';
export { NO_REPLY, type Completion, type Failure } from './worker-reports.js';
export type { SubmitOutcome } from './task-operations.js';
export type { RegisterOutcome, RegisterRequest } from './worker-operations.js';

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
export class Gateway implements GatewayRules {
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
  /** Submits, cancels, retries, bulk actions and watches (gateway/task-operations.ts). */
  private readonly taskOps: TaskOperations;
  /** A worker's reports on its attempts, the hot path (gateway/worker-reports.ts). */
  private readonly reports: WorkerReports;
  /** Workers' lifecycle and listing (gateway/worker-operations.ts). */
  private readonly workerOps: WorkerOperations;
  /** Queues (gateway/queue-operations.ts). */
  private readonly queueOps: QueueOperations;
  /** Reads of tasks, the caller and the hub's load (gateway/state-reads.ts). */
  private readonly reads: StateReads;

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
    this.taskOps = new TaskOperations(hub, this);
    this.reports = new WorkerReports(hub, this);
    this.workerOps = new WorkerOperations(hub, this);
    this.queueOps = new QueueOperations(hub, this);
    this.reads = new StateReads(hub, this);
  }

  // ------------------------------------------------------------------ tasks

  submit(caller: Caller, specs: TaskSpec[]): Promise<SubmitOutcome>;
  submit(caller: Caller, specs: TaskSpec[], done: Done<SubmitOutcome>): undefined;
  submit(
    caller: Caller,
    specs: TaskSpec[],
    done?: Done<SubmitOutcome>,
  ): Promise<SubmitOutcome> | undefined {
    return this.taskOps.submit(caller, specs, done);
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
    return this.taskOps.cancel(caller, taskId, reason, done);
  }

  retry(caller: Caller, taskId: string): Promise<TaskRecord> {
    return this.taskOps.retry(caller, taskId);
  }

  /** A task the caller may see: its queue is allowed by the token. */
  task(caller: Caller, taskId: string): TaskRecord {
    return this.reads.task(caller, taskId);
  }

  /** One page of a task search in creation order, filtered to what the caller may see. */
  listTasks(caller: Caller, q: TaskSearch): TaskPage {
    return this.reads.listTasks(caller, q);
  }

  /** One bulk action on a queue's matching tasks (task-operations.ts). */
  bulk(
    caller: Caller,
    name: string,
    action: TaskBulkCommand['action'],
    f: TaskFilter,
    limit: number,
    reason?: string,
  ): Promise<{ count: number; more: boolean }> {
    return this.taskOps.bulk(caller, name, action, f, limit, reason);
  }

  /** Remove one dead task of the queue for good (the same command as a bulk purge). */
  purgeDeadTask(caller: Caller, name: string, taskId: string): Promise<{ count: number }> {
    return this.taskOps.purgeDeadTask(caller, name, taskId);
  }

  /** A dead task of the queue with its failed attempts (the last MAX_ATTEMPTS_KEPT). */
  deadTask(
    caller: Caller,
    name: string,
    taskId: string,
  ): { task: TaskRecord; attempts: readonly AttemptRecord[] } {
    return this.reads.deadTask(caller, name, taskId);
  }

  /** Which of `taskIds` the caller may watch, finished, or does not know (task-operations.ts). */
  watch(
    caller: Caller,
    taskIds: string[],
    progress: boolean,
  ): { finished: TaskRecord[]; missing: string[] } {
    return this.taskOps.watch(caller, taskIds, progress);
  }

  // ------------------------------------------------------------------ a worker's reports

  progress(
    caller: Caller,
    workerId: string,
    taskId: string,
    attempt: number,
    value: unknown,
  ): void {
    this.reports.progress(caller, workerId, taskId, attempt, value);
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
    return this.reports.complete(caller, report, done);
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
    return this.reports.fail(caller, report, done);
  }

  // ------------------------------------------------------------------ reads

  /** Who the caller is, as its token says (state-reads.ts). */
  whoami(caller: Caller): Omit<WhoamiJson, 'auth'> {
    return this.reads.whoami(caller);
  }

  /** How many retained tasks are in each state, of the queues the caller may see. */
  taskCounts(caller: Caller): Record<string, number> {
    return this.reads.taskCounts(caller);
  }

  /** Load across the queues the caller may see (a token without a queue scope: the whole hub). */
  stats(caller: Caller): {
    workers: number;
    tasks: { retained: number; queued: number; delayed: number; leased: number; dead: number };
  } {
    return this.reads.stats(caller);
  }

  // ------------------------------------------------------------------ workers

  /** Register (or re-register) a worker (worker-operations.ts). */
  register(caller: Caller, req: RegisterRequest): RegisterOutcome {
    return this.workerOps.register(caller, req);
  }

  heartbeat(caller: Caller, workerId: string): void {
    this.workerOps.heartbeat(caller, workerId);
  }

  /** Stop giving the worker new tasks; it finishes what it runs. */
  drain(caller: Caller, workerId: string): void {
    this.workerOps.drain(caller, workerId);
  }

  /** Remove the worker; a connected push worker's connection is closed. */
  unregister(caller: Caller, workerId: string): void {
    this.workerOps.unregister(caller, workerId);
  }

  /** An operator closes a worker's connection (or removes a pull worker). */
  disconnect(caller: Caller, workerId: string): void {
    this.workerOps.disconnect(caller, workerId);
  }

  /** A pull worker leases up to `max` tasks (this call is also its heartbeat). */
  pull(caller: Caller, workerId: string, max: number): Promise<TaskRecord[]> {
    return this.workerOps.pull(caller, workerId, max);
  }

  worker(caller: Caller, workerId: string): WorkerRecord {
    return this.workerOps.worker(caller, workerId);
  }

  workers(caller: Caller): WorkerRecord[] {
    return this.workerOps.workers(caller);
  }

  // ------------------------------------------------------------------ queues

  queues(caller: Caller): QueueState[] {
    return this.queueOps.queues(caller);
  }

  queue(caller: Caller, name: string): QueueState {
    return this.queueOps.queue(caller, name);
  }

  /** How many registered workers serve the queue. */
  queueWorkers(caller: Caller, name: string): number {
    return this.queueOps.queueWorkers(caller, name);
  }

  pauseQueue(caller: Caller, name: string): Promise<QueueState> {
    return this.queueOps.pauseQueue(caller, name);
  }

  resumeQueue(caller: Caller, name: string): Promise<QueueState> {
    return this.queueOps.resumeQueue(caller, name);
  }

  /** Set a queue's rate, concurrency and group limits (queue-operations.ts). */
  setQueueLimits(caller: Caller, name: string, limits: QueueLimitsSpec): Promise<QueueState> {
    return this.queueOps.setQueueLimits(caller, name, limits);
  }

  purgeDead(caller: Caller, name: string): Promise<number> {
    return this.queueOps.purgeDead(caller, name);
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
  settle<T>(
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
    requireRole(caller, role, what);
  }

  requireQueue(caller: Caller, queue: string): void {
    requireQueue(caller, queue);
  }

  /** NOT_READY while recovering; SHUTTING_DOWN once draining. */
  gateNewWork(what: string): void {
    gateNewWork(this.hub.phase, what);
  }

  visibleTask(caller: Caller, taskId: string): TaskRecord {
    return visibleTask(this.hub.core, caller, taskId);
  }

  /** The caller may act as `workerId` (access-rules.ts). */
  asWorker(caller: Caller, workerId: string, taskId?: string): void {
    asWorker(this.hub.core, caller, workerId, taskId);
  }
}
