import { ErrorCode } from '../../protocol/index.js';
import { publish } from './bus-rules.js';
import { fail, type CommandResult } from './command-result.js';
import type { TxnCommand } from './commands.js';
import type { CoreState } from './core-state.js';
import { cancel, isTerminal } from './task-lifecycle.js';
import { submit } from './task-submit.js';

/**
 * A transaction: submits, cancels and stored publishes applied all together or not at all,
 * journaled as one record. Every member is checked against the state as the members before
 * it would leave it, and only then are they applied, in order, by the same rules as alone:
 * so a member that would be refused refuses the whole group, with its index, and nothing of
 * the group is visible (not even an event).
 */
export function transaction(s: CoreState, cmd: TxnCommand): CommandResult {
  const problem = check(s, cmd);
  if (problem) return problem;
  const results: CommandResult[] = [];
  for (const op of cmd.ops) {
    const r =
      op.type === 'task.submit'
        ? submit(s, op)
        : op.type === 'task.cancel'
          ? cancel(s, op)
          : publish(s, op);
    // check() makes this unreachable; should a rule ever disagree with it, that is a bug to
    // see at once rather than half a transaction to find later.
    if (!r.ok)
      throw new Error(`transaction member ${op.type} refused after its check: ${r.message}`);
    results.push(r);
  }
  return { ok: true, results };
}

function check(s: CoreState, cmd: TxnCommand): CommandResult | undefined {
  const newIds = new Set<string>();
  const cancelled = new Set<string>();
  const published = new Set<string>();
  /** Messages the group adds to each subscription, for its limit. */
  const added = new Map<unknown, number>();
  for (let i = 0; i < cmd.ops.length; i++) {
    const op = cmd.ops[i]!;
    const at = `transaction member ${i + 1} (${op.type})`;
    if (op.type === 'task.submit') {
      for (const t of op.tasks) {
        if (s.tasks.has(t.id) || newIds.has(t.id))
          return fail(ErrorCode.CONFLICT, `${at}: task id ${t.id} already exists`);
        newIds.add(t.id);
      }
    } else if (op.type === 'task.cancel') {
      const task = s.tasks.get(op.taskId);
      if (!task) return fail(ErrorCode.TASK_NOT_FOUND, `${at}: no task ${op.taskId}`);
      if (isTerminal(task) || cancelled.has(task.id))
        return fail(
          ErrorCode.INVALID_STATE,
          `${at}: task ${task.id} is already ${cancelled.has(task.id) ? 'cancelled' : task.state}`,
        );
      cancelled.add(task.id);
    } else {
      const id = op.message.id;
      const seen = s.bus.dedup.get(id);
      const duplicate =
        s.bus.messages.has(id) ||
        (op.dedup && seen !== undefined && seen > op.now) ||
        published.has(id);
      published.add(id);
      if (duplicate) continue;
      for (const c of s.bus.index.match(op.message.topic, new Set())) {
        const n = (added.get(c) ?? 0) + 1;
        added.set(c, n);
        if (c.waiting.size + c.inFlight.size + n > s.options.busMaxPending)
          return fail(
            ErrorCode.SUBSCRIPTION_FULL,
            `${at}: subscription "${c.pattern}" would hold more than ${s.options.busMaxPending} messages it has not acked`,
          );
      }
    }
  }
  return undefined;
}
