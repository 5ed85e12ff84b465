import { AttemptHistory } from './attempt-history.js';
import { BusState } from './bus-state.js';
import type { Effects } from './command-result.js';
import type { DurableCommand } from './commands.js';
import { DEFAULT_CORE_OPTIONS, type CoreOptions } from './core-options.js';
import { FederationKeys } from './federation-keys.js';
import { Federations } from './federations.js';
import type { HubEvent } from './events.js';
import { FinishedTasks } from './finished-tasks.js';
import { Flows } from './flow-state.js';
import { FreeWorkers } from './free-workers.js';
import { NodeRegistry } from './node-registry.js';
import { QueueState } from './queue-state.js';
import type { TaskRecord, WorkerRecord } from './records.js';
import { Revocations } from './revocations.js';
import { Schedules } from './schedule-state.js';
import { TaskOptionsPool } from './task-options.js';
import { TaskTable } from './task-table.js';
import { Wakeups } from './wakeups.js';
import { Workspaces } from './workspace-state.js';

/**
 * Everything the core holds, in one object that the rule modules (dispatch, leases, task
 * lifecycle, workers, tick) and snapshot/restore all work on. It holds data and the few
 * helpers every rule needs (queue lookup, emitting, journaling); what happens when is decided
 * in the rule modules, never here. `Core` is the façade in front of it.
 */
export class CoreState {
  readonly options: CoreOptions;
  readonly tasks = new TaskTable();
  readonly queues = new Map<string, QueueState>();
  readonly workers = new Map<string, WorkerRecord>();
  readonly nodes = new NodeRegistry();
  readonly revocations = new Revocations();
  /** Federated summaries (federation.ts) and the keys that open them. */
  readonly federations: Federations;
  readonly federationKeys = new FederationKeys();
  /** Users, their workspaces and the SSH ports those hold. */
  readonly workspaces = new Workspaces();
  /** Cron and interval schedules, by name (schedule-rules.ts). */
  readonly schedules = new Schedules();
  /** Workers with a free slot, per queue they serve. Set order gives round-robin. */
  readonly free = new FreeWorkers();
  readonly wakeups = new Wakeups();
  /** Parents of flows, their children and the children's outcomes (flow-state.ts). */
  readonly flows = new Flows();
  /** Failed attempts of tasks that failed at least once (attempt-history.ts). */
  readonly attempts = new AttemptHistory();
  /** Subscriptions and stored messages of the message bus. */
  readonly bus = new BusState();
  readonly finished: FinishedTasks;
  /** Submit-time options, one shared object for tasks that set none. */
  readonly taskOptions: TaskOptionsPool;
  /** Next position within a priority level (new tasks, promotions, retries). */
  nextSeq = 1;
  effects: Effects = { events: [], journal: [] };
  private readonly idempotency = new Map<string, string>();

  constructor(options: Partial<CoreOptions> = {}) {
    this.options = { ...DEFAULT_CORE_OPTIONS, ...options };
    this.taskOptions = new TaskOptionsPool(this.options);
    this.finished = new FinishedTasks(this.options.maxFinishedTasks);
    this.federations = new Federations(this.options.hashSeed);
  }

  queue(name: string): QueueState {
    let queue = this.queues.get(name);
    if (!queue) this.queues.set(name, (queue = new QueueState(name)));
    return queue;
  }

  emit(event: HubEvent): void {
    this.effects.events.push(event);
  }

  /** Journal a command the core derived. MUST come before applying it: what it derives in
   * turn (a lease for the slot it frees) must follow it in the WAL, as replay applies it. */
  journal(cmd: DurableCommand): void {
    this.effects.journal.push(cmd);
  }

  /** The task already submitted to `queue` under this idempotency key, if it is still held. */
  idempotent(queue: string, key: string): string | undefined {
    return this.idempotency.get(idemKey(queue, key));
  }

  rememberIdempotency(task: TaskRecord): void {
    if (task.options.idempotencyKey !== undefined)
      this.idempotency.set(idemKey(task.queue, task.options.idempotencyKey), task.id);
  }

  forgetIdempotency(task: TaskRecord): void {
    if (task.options.idempotencyKey === undefined) return;
    const key = idemKey(task.queue, task.options.idempotencyKey);
    if (this.idempotency.get(key) === task.id) this.idempotency.delete(key);
  }
}

function idemKey(queue: string, key: string): string {
  return queue + '\u0000' + key;
}
