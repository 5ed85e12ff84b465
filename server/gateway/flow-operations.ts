import {
  flattenFlow,
  type FlowChild,
  type FlowNodeSpec,
  type FlowPolicyName,
} from '../../protocol/index.js';
import { mayUseQueue, type Role } from '../auth/index.js';
import type { FlowSubmitCommand, TaskRecord } from '../core/index.js';
import type { Caller } from './caller.js';
import type { Done } from './done.js';
import type { Engine } from './engine.js';
import { OperationError } from './operation-error.js';
import { storeFailure } from './store-failure.js';

interface GatewayRules {
  requireRole(caller: Caller, role: Role, what: string): void;
  requireQueue(caller: Caller, queue: string): void;
  gateNewWork(what: string): void;
  task(caller: Caller, taskId: string): TaskRecord;
}

export interface FlowOutcome {
  /** The flow's task ids in pre-order (each parent, then its children's subtrees). */
  taskIds: string[];
  /** The root's idempotency key named a task that exists: nothing new, taskIds is [it]. */
  duplicate: boolean;
}

export interface FlowLinks {
  parentId: string | undefined;
  /** A parent's children that are final, with their outcomes. */
  children: FlowChild[] | undefined;
}

/** One task of a flow as a read shows it, with its subtree. */
export interface FlowView {
  task: TaskRecord;
  name: string | undefined;
  /** Tasks with children: the policy for them. */
  policy: FlowPolicyName | undefined;
  /** The task's parent, if it is a child of a flow. */
  parentId: string | undefined;
  children: FlowView[];
  /** Children evicted since they ended: their outcome, kept by the parent. */
  evicted: FlowChild[];
}

/**
 * Flows (`gateway.flows`, docs/flows.md): a tree submitted whole, every task authorised as if
 * submitted alone (the producer role, the token's queues), created by one journaled command
 * or not at all. Answered once that record is durable; a flow that could not be made durable
 * is taken back like a refused submit.
 */
export class FlowOperations {
  constructor(
    private readonly hub: Engine,
    private readonly rules: GatewayRules,
  ) {}

  /** `root` was validated at the edge (protocol/flow-spec.ts: size, depth, names). */
  submit(caller: Caller, root: FlowNodeSpec): Promise<FlowOutcome>;
  submit(caller: Caller, root: FlowNodeSpec, done: Done<FlowOutcome>): undefined;
  submit(
    caller: Caller,
    root: FlowNodeSpec,
    done?: Done<FlowOutcome>,
  ): Promise<FlowOutcome> | undefined {
    this.rules.requireRole(caller, 'producer', 'submit flows');
    const flat = flattenFlow(root);
    for (const f of flat) this.rules.requireQueue(caller, f.spec.queue);
    this.rules.gateNewWork('flows');
    const cmd: FlowSubmitCommand = {
      type: 'flow.submit',
      now: this.hub.now(),
      tasks: flat.map((f) => ({
        id: this.hub.ids.next(),
        spec: f.spec,
        ...(f.parent === undefined ? {} : { parent: f.parent }),
        ...(f.name === undefined ? {} : { name: f.name }),
        ...(f.policy === undefined ? {} : { policy: f.policy }),
      })),
    };
    if (caller.session !== undefined) cmd.submitter = caller.session;
    const { result, seq } = this.hub.execute(cmd);
    if (!result.ok) throw new OperationError(result.code, result.message);
    const outcome: FlowOutcome = {
      taskIds: result.taskIds ?? [],
      duplicate: (result.duplicates?.length ?? 0) > 0,
    };
    const settle = (cb: Done<FlowOutcome>): void =>
      this.hub.whenDurable(seq, (err) => {
        if (!err) return cb(undefined, outcome);
        if (!outcome.duplicate)
          this.hub.rollbackSubmit(
            cmd.tasks.map((t) => t.id),
            err,
          );
        cb(
          new OperationError(
            storeFailure(err).code,
            `flow not accepted: could not persist it (${err.message})`,
          ),
        );
      });
    if (done) {
      settle(done);
      return undefined;
    }
    return new Promise((resolve, reject) => settle((err, v) => (err ? reject(err) : resolve(v!))));
  }

  /**
   * A task's place in a flow, for rendering a task the caller was allowed to read: its
   * parent and its children's outcomes. Undefined for a task outside any flow.
   */
  links(taskId: string): FlowLinks | undefined {
    const flows = this.hub.core.flows;
    const parentId = flows.link(taskId)?.parent.id;
    const children = flows.outcomes(taskId, this.hub.core.tasks);
    if (parentId === undefined && children === undefined) return undefined;
    return { parentId, children };
  }

  /**
   * The flow below `taskId` (any task of a flow: its subtree), children the token may not
   * see left out. A task outside any flow is a flow of one.
   */
  view(caller: Caller, taskId: string): FlowView {
    const task = this.rules.task(caller, taskId);
    const flows = this.hub.core.flows;
    const tasks = this.hub.core.tasks;
    const link = flows.link(taskId);
    const build = (t: TaskRecord, name: string | undefined, parentId: string | undefined) => {
      const rec = flows.parents.get(t.id);
      const view: FlowView = {
        task: t,
        name,
        policy: rec?.policy,
        parentId,
        children: [],
        evicted: [],
      };
      for (const entry of rec?.children ?? []) {
        if (!mayUseQueue(caller.grant, entry.queue)) continue;
        const child = tasks.get(entry.id);
        if (child) view.children.push(build(child, entry.name, t.id));
        else {
          const kept = flows.outcomes(t.id, tasks)?.find((o) => o.taskId === entry.id);
          if (kept) view.evicted.push(kept);
        }
      }
      return view;
    };
    return build(task, link?.entry.name, link?.parent.id);
  }
}
