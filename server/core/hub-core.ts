import type { AttemptHistory } from './attempt-history.js';
import {
  ack,
  applyAcked,
  busGc,
  createConsumer,
  deleteConsumer,
  emit,
  expireMessage,
  publish,
  sessionClosed,
  subscribe,
  unsubscribe,
} from './bus-rules.js';
import { OK, type CommandResult, type Effects } from './command-result.js';
import type { Command, DurableCommand } from './commands.js';
import { DIRECTLY_DURABLE } from './commands.js';
import type { BusState } from './bus-state.js';
import type { CoreOptions } from './core-options.js';
import { CoreState } from './core-state.js';
import type { FederationKeys } from './federation-keys.js';
import { submitFlow } from './flow-submit.js';
import type { Flows } from './flow-state.js';
import { applyFederation } from './federation-rules.js';
import type { Federations } from './federations.js';
import { applyLease, progress } from './leases.js';
import type { NodeRegistry } from './node-registry.js';
import { purgeDead, setLimits, setPaused } from './queue-controls.js';
import type { QueueState } from './queue-state.js';
import type { WorkerRecord } from './records.js';
import type { Revocations } from './revocations.js';
import { applySchedule, recoverSchedules } from './schedule-rules.js';
import type { Schedules } from './schedule-state.js';
import { restoreSnapshot, takeSnapshot, type CoreSnapshot } from './snapshot.js';
import {
  cancel,
  complete,
  expire,
  failTask,
  promote,
  recover,
  requeue,
  retract,
  retry,
} from './task-lifecycle.js';
import type { TaskOptionsPool } from './task-options.js';
import { evictOverLimit, gc } from './task-retention.js';
import { submit } from './task-submit.js';
import { applyBulk } from './task-bulk.js';
import type { TaskTable } from './task-table.js';
import { tick } from './tick.js';
import { transaction } from './transaction.js';
import { revokeToken } from './tokens.js';
import { disconnect, drain, heartbeat, pull, register, unregister } from './workers.js';
import { applyWorkspace } from './workspace-rules.js';
import type { Workspaces } from './workspace-state.js';

/**
 * The hub's state and rules. Pure: commands in (with the time), events and journal out.
 * No I/O, no timers, no clock, no randomness — which is what lets the WAL replay it and
 * tests drive it with an explicit clock. Callers apply commands one at a time.
 *
 * A façade: the state is a CoreState, the rules live in one module per concept (dispatch,
 * leases, task-submit, task-lifecycle, task-retention, workers, tick, queue-controls, tokens,
 * node-registry), and `apply` routes each command to its rule.
 */
export class Core {
  private readonly state: CoreState;
  readonly options: CoreOptions;
  readonly tasks: TaskTable;
  readonly queues: Map<string, QueueState>;
  readonly workers: Map<string, WorkerRecord>;
  readonly nodes: NodeRegistry;
  readonly revocations: Revocations;
  readonly federations: Federations;
  readonly federationKeys: FederationKeys;
  /** Users, workspaces and their ports (workspace-rules.ts). */
  readonly workspaces: Workspaces;
  /** Submit-time options, one shared object for tasks that set none. */
  readonly taskOptions: TaskOptionsPool;
  /** Subscriptions and stored messages of the message bus (bus-rules.ts). */
  readonly bus: BusState;
  /** Cron and interval schedules (schedule-rules.ts). */
  readonly schedules: Schedules;
  /** Flow parents, their children and the children's outcomes (flow-state.ts). */
  readonly flows: Flows;
  /** Failed attempts of tasks that failed at least once (attempt-history.ts). */
  readonly attempts: AttemptHistory;

  constructor(options: Partial<CoreOptions> = {}) {
    const s = (this.state = new CoreState(options));
    this.options = s.options;
    this.tasks = s.tasks;
    this.queues = s.queues;
    this.workers = s.workers;
    this.nodes = s.nodes;
    this.revocations = s.revocations;
    this.federations = s.federations;
    this.federationKeys = s.federationKeys;
    this.workspaces = s.workspaces;
    this.taskOptions = s.taskOptions;
    this.bus = s.bus;
    this.schedules = s.schedules;
    this.flows = s.flows;
    this.attempts = s.attempts;
  }

  /** Rebuild a core from a snapshot (undefined = empty). Used by recovery and compaction. */
  static restore(snapshot: unknown, options: Partial<CoreOptions> = {}): Core {
    const core = new Core(options);
    if (snapshot !== undefined) restoreSnapshot(core.state, snapshot as CoreSnapshot);
    return core;
  }

  snapshot(): CoreSnapshot {
    return takeSnapshot(this.state);
  }

  /**
   * What taking snapshot() costs, in about microseconds: one for each record it copies
   * (~1.1 µs a task at 200,000), half for a federation summary, 1/128 for a distinct fact
   * hash (a table slot copied, ~7 ns). The WAL takes the state for a compaction only while
   * this is small, since the hub pauses for it, and replays its log in a thread otherwise
   * (wal-store.ts). test/core/snapshot-weight.test.ts holds it to what snapshot() copies.
   */
  snapshotWeight(): number {
    const s = this.state;
    let busIds = 0;
    for (const c of s.bus.consumers.values())
      if (c.durable) busIds += c.inFlight.size + c.waiting.size;
    return (
      s.tasks.size +
      s.attempts.size +
      s.flows.parents.size +
      s.schedules.size +
      s.bus.messages.size +
      busIds +
      s.bus.dedup.size +
      s.nodes.nodes.size +
      s.nodes.commands.size +
      s.federations.summaries() / 2 +
      s.federations.hashSlots() / 128
    );
  }

  /** Events and journal produced since the last call. */
  takeEffects(): Effects {
    const out = this.state.effects;
    this.state.effects = { events: [], journal: [] };
    return out;
  }

  /** Earliest time at which `tick` has something to do, for the caller's timer. */
  nextWakeAt(): number | undefined {
    return this.state.wakeups.nextAt();
  }

  /** Earliest time at which `gc` has something to do. */
  nextGcAt(): number | undefined {
    return this.state.finished.nextExpiry();
  }

  /** The queue of this name, created empty if there is none yet. */
  queue(name: string): QueueState {
    return this.state.queue(name);
  }

  apply(cmd: Command): CommandResult {
    const s = this.state;
    // MUST journal the command before what it derives (a submit before the leases its
    // dispatch creates), or replay would meet a lease for a task that does not exist yet.
    const journal = s.effects.journal;
    const at = journal.length;
    const durable = DIRECTLY_DURABLE.has(cmd.type);
    if (durable) journal.push(cmd as DurableCommand);
    const result = route(s, cmd);
    if (!result.ok && durable && journal[at] === cmd) journal.splice(at, 1);
    // After the command, so its own events (a completion) come before any eviction it
    // causes; replay applies the same commands and so evicts the same tasks.
    evictOverLimit(s);
    return result;
  }
}

/** Each command to the rule that decides it. */
function route(s: CoreState, cmd: Command): CommandResult {
  switch (cmd.type) {
    case 'task.submit':
      return submit(s, cmd);
    case 'flow.submit':
      return submitFlow(s, cmd);
    case 'task.lease':
      return applyLease(s, cmd);
    case 'task.complete':
      return complete(s, cmd);
    case 'task.fail':
      return failTask(s, cmd);
    case 'task.requeue':
      return requeue(s, cmd);
    case 'task.expire':
      return expire(s, cmd.taskId, cmd.now);
    case 'task.promote':
      return promote(s, cmd.taskId, cmd.now);
    case 'task.cancel':
      return cancel(s, cmd);
    case 'task.retract':
      return retract(s, cmd);
    case 'task.retry':
      return retry(s, cmd.taskId, cmd.now);
    case 'task.bulk':
      return applyBulk(s, cmd);
    case 'task.progress':
      return progress(s, cmd);
    case 'queue.pause':
    case 'queue.resume':
      return setPaused(s, cmd.queue, cmd.type === 'queue.pause', cmd.now);
    case 'queue.purge-dead':
      return purgeDead(s, cmd.queue);
    case 'queue.limit':
      return setLimits(s, cmd.queue, cmd.limits, cmd.now);
    case 'gc':
      busGc(s, cmd.now);
      return gc(s, cmd.now);
    case 'recover': {
      const result = recover(s, cmd.now);
      // After the leases: what fell due while no hub ran fires (or skips) now, once.
      recoverSchedules(s, cmd.now);
      return result;
    }
    case 'tick':
      tick(s, cmd.now);
      return OK;
    case 'worker.register':
      return register(s, cmd);
    case 'worker.heartbeat':
      return heartbeat(s, cmd.workerId, cmd.now);
    case 'worker.disconnect':
      return disconnect(s, cmd.workerId, cmd.now, cmd.session);
    case 'worker.drain':
      return drain(s, cmd.workerId);
    case 'worker.unregister':
      return unregister(s, cmd.workerId, cmd.now);
    case 'worker.pull':
      return pull(s, cmd.workerId, cmd.max, cmd.now);
    case 'node.register':
    case 'node.update':
    case 'node.remove':
    case 'node.status':
    case 'node.command':
    case 'command.started':
    case 'command.result':
      return s.nodes.apply(cmd, (e) => s.emit(e));
    case 'token.revoke':
      return revokeToken(s, cmd);
    case 'bus.publish':
      return publish(s, cmd);
    case 'bus.emit':
      return emit(s, cmd);
    case 'bus.subscribe':
      return subscribe(s, cmd);
    case 'bus.unsubscribe':
      return unsubscribe(s, cmd);
    case 'bus.session.closed':
      return sessionClosed(s, cmd.session, cmd.now);
    case 'bus.ack':
      return ack(s, cmd);
    case 'bus.acked':
      return applyAcked(s, cmd);
    case 'bus.consumer.create':
      createConsumer(s, cmd);
      return OK;
    case 'bus.consumer.delete':
      return deleteConsumer(s, cmd);
    case 'bus.expire':
      return expireMessage(s, cmd);
    case 'txn':
      return transaction(s, cmd);
    case 'federation.push':
    case 'federation.forget':
    case 'federation.key.create':
    case 'federation.key.revoke':
      return applyFederation(s, cmd);
    case 'user.register':
    case 'user.key':
    case 'workspace.create':
    case 'workspace.status':
    case 'workspace.service':
      return applyWorkspace(s, cmd);
    case 'schedule.create':
    case 'schedule.pause':
    case 'schedule.resume':
    case 'schedule.remove':
    case 'schedule.fire':
      return applySchedule(s, cmd);
  }
}
