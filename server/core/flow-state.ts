import type { FlowChild, FlowPolicyName, TaskStateName } from '../../protocol/index.js';
import type { TaskFailure, TaskRecord } from './records.js';
import type { TaskTable } from './task-table.js';

/**
 * The links of flows (docs/flows.md): for each parent, its children in the order given and
 * the outcome of each as it became final. Kept apart from the task records so that a task
 * outside any flow pays nothing; and the outcomes are copies of references, so a child
 * evicted after its result's retention still hands its result to a parent that runs later.
 */

/** One child as its parent holds it. `state` is set once, when the child becomes final. */
export interface FlowChildRecord {
  id: string;
  name: string | undefined;
  queue: string;
  state: TaskStateName | undefined;
  result: unknown;
  error: TaskFailure | undefined;
}

export interface FlowParentRecord {
  id: string;
  policy: FlowPolicyName;
  /** The parent's own ttlMs: it counts from its release, not from the flow's submit. */
  ttlMs: number;
  /** Children not final yet; the parent is released at 0. */
  pending: number;
  children: FlowChildRecord[];
}

interface Link {
  parent: FlowParentRecord;
  entry: FlowChildRecord;
}

export class Flows {
  readonly parents = new Map<string, FlowParentRecord>();
  private readonly links = new Map<string, Link>();
  /**
   * Children that became final and whose parent has not heard yet. Filled where a task
   * finishes, drained by `settleFlows` at the end of the rule that finished it.
   */
  readonly due: TaskRecord[] = [];
  /** True while `settleFlows` drains `due`: what it does in turn only adds to it. */
  settling = false;

  addParent(rec: FlowParentRecord): void {
    this.parents.set(rec.id, rec);
    for (const entry of rec.children) this.links.set(entry.id, { parent: rec, entry });
  }

  addChild(parent: FlowParentRecord, entry: FlowChildRecord): void {
    parent.children.push(entry);
    if (entry.state === undefined) parent.pending++;
    this.links.set(entry.id, { parent, entry });
  }

  /** The task belongs to a flow as a child. */
  isChild(taskId: string): boolean {
    return this.links.has(taskId);
  }

  link(taskId: string): Link | undefined {
    return this.links.get(taskId);
  }

  /** A task is dropped (evicted, purged, retracted): its links go, its outcome stays. */
  forget(taskId: string): void {
    const rec = this.parents.get(taskId);
    if (rec) {
      this.parents.delete(taskId);
      for (const entry of rec.children)
        if (this.links.get(entry.id)?.parent === rec) this.links.delete(entry.id);
    }
    this.links.delete(taskId);
  }

  /** Record a final child's outcome; false when it was recorded already. */
  record(link: Link, child: TaskRecord): boolean {
    const entry = link.entry;
    if (entry.state !== undefined) return false;
    entry.state = child.state;
    entry.result = child.state === 'completed' ? child.result : undefined;
    entry.error = child.error;
    link.parent.pending--;
    return true;
  }

  /** A recorded child runs again (an operator retried it): its parent waits for it again. */
  reopen(link: Link): void {
    const entry = link.entry;
    if (entry.state === undefined) return;
    entry.state = undefined;
    entry.result = undefined;
    entry.error = undefined;
    link.parent.pending++;
  }

  /**
   * The children of `parentId` as its worker sees them: the recorded outcome, or, for a
   * child that was never recorded (cancelled with a parent that failed first), what the
   * task shows now. Children not final are left out: a parent only runs once all are.
   */
  outcomes(parentId: string, tasks: TaskTable): FlowChild[] | undefined {
    const rec = this.parents.get(parentId);
    if (!rec) return undefined;
    const out: FlowChild[] = [];
    for (const entry of rec.children) {
      let state = entry.state;
      let result = entry.result;
      let error = entry.error;
      if (state === undefined) {
        const task = tasks.get(entry.id);
        if (!task || !FINAL.has(task.state)) continue;
        state = task.state;
        result = task.state === 'completed' ? task.result : undefined;
        error = task.error;
      }
      const child: FlowChild = {
        taskId: entry.id,
        queue: entry.queue,
        state: state as FlowChild['state'],
      };
      if (entry.name !== undefined) child.name = entry.name;
      if (state === 'completed') child.result = result ?? null;
      else if (error) child.error = { ...error };
      out.push(child);
    }
    return out;
  }

  snapshot(): FlowParentRecord[] {
    return [...this.parents.values()].map((p) => ({
      ...p,
      children: p.children.map((c) => ({ ...c })),
    }));
  }

  restore(parents: FlowParentRecord[] | undefined): void {
    for (const raw of parents ?? []) {
      const rec: FlowParentRecord = {
        id: raw.id,
        policy: raw.policy,
        ttlMs: raw.ttlMs,
        pending: raw.pending,
        children: raw.children.map((c) => ({
          id: c.id,
          name: c.name ?? undefined,
          queue: c.queue,
          state: c.state ?? undefined,
          result: c.result,
          error: c.error ?? undefined,
        })),
      };
      this.addParent(rec);
    }
  }
}

const FINAL: ReadonlySet<TaskStateName> = new Set(['completed', 'dead', 'expired', 'cancelled']);
