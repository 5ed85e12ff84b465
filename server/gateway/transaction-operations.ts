import { ErrorCode, Priority, type TaskSpec, type TxnOp } from '../../protocol/index.js';
import { mayUseQueue, mayUseTopic, type Role } from '../auth/index.js';
import type {
  BusPublishCommand,
  CancelCommand,
  CommandResult,
  SubmitCommand,
} from '../core/index.js';
import type { Caller } from './caller.js';
import type { Done } from './done.js';
import type { Engine } from './engine.js';
import { OperationError } from './operation-error.js';
import { storeFailure } from './store-failure.js';

interface GatewayRules {
  requireRole(caller: Caller, role: Role, what: string): void;
  gateNewWork(what: string): void;
}

export type TxnResult =
  | { taskId: string; duplicate: boolean }
  | { taskId: string; cancelled: true }
  | { msgId: string; subscriptions: number; duplicate: boolean };

/**
 * Transactions (`gateway.transaction`): every member is authorised as if sent alone (the
 * producer role for tasks, the token's queues and topics), then the core applies the group
 * as one journaled record or refuses it whole, naming the member at fault. The caller hears
 * back once the record is durable; a group that could not be made durable has its submits
 * taken back (as a refused submit's are).
 */
export class TransactionOperations {
  constructor(
    private readonly hub: Engine,
    private readonly rules: GatewayRules,
  ) {}

  run(caller: Caller, ops: TxnOp[], done: Done<TxnResult[]>): void {
    const now = this.hub.now();
    const members: (SubmitCommand | CancelCommand | BusPublishCommand)[] = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const at = `transaction member ${i + 1}`;
      try {
        members.push(this.member(caller, op, now));
      } catch (err) {
        if (err instanceof OperationError)
          throw new OperationError(err.code, `${at}: ${err.message}`, err.taskId);
        throw err;
      }
    }
    this.rules.gateNewWork('transactions');
    const { result, seq } = this.hub.execute({ type: 'txn', now, ops: members });
    if (!result.ok) throw new OperationError(result.code, result.message);
    const out = toResults(members, result.results ?? []);
    this.hub.whenDurable(seq, (err) => {
      if (!err) return done(undefined, out);
      const submitted = members.flatMap((m) =>
        m.type === 'task.submit' ? m.tasks.map((t) => t.id) : [],
      );
      if (submitted.length) this.hub.rollbackSubmit(submitted, err);
      done(new OperationError(storeFailure(err).code, `transaction not persisted: ${err.message}`));
    });
  }

  private member(
    caller: Caller,
    op: TxnOp,
    now: number,
  ): SubmitCommand | CancelCommand | BusPublishCommand {
    if ('submit' in op) {
      this.rules.requireRole(caller, 'producer', 'submit tasks');
      const spec = op.submit as TaskSpec;
      if (!mayUseQueue(caller.grant, spec.queue))
        throw new OperationError(ErrorCode.FORBIDDEN, `token does not allow queue ${spec.queue}`);
      const cmd: SubmitCommand = {
        type: 'task.submit',
        now,
        tasks: [{ id: this.hub.ids.next(), spec }],
      };
      if (caller.session !== undefined) cmd.submitter = caller.session;
      return cmd;
    }
    if ('cancel' in op) {
      this.rules.requireRole(caller, 'producer', 'cancel tasks');
      const task = this.hub.core.tasks.get(op.cancel.taskId);
      if (task && !mayUseQueue(caller.grant, task.queue))
        throw new OperationError(ErrorCode.FORBIDDEN, `token does not allow queue ${task.queue}`);
      const cmd: CancelCommand = { type: 'task.cancel', now, taskId: op.cancel.taskId };
      if (op.cancel.reason !== undefined) cmd.reason = op.cancel.reason;
      return cmd;
    }
    const p = op.publish;
    if (!mayUseTopic(caller.grant, p.topic))
      throw new OperationError(ErrorCode.FORBIDDEN, `token does not allow topic "${p.topic}"`);
    const from = caller.boundWorker ?? caller.session;
    return {
      type: 'bus.publish',
      now,
      message: {
        id: p.msgId ?? this.hub.ids.next(),
        topic: p.topic,
        data: p.data,
        priority: Priority[p.priority ?? 'normal'],
        qos: p.qos ?? 'at-least-once',
        ...(p.ttlMs === undefined ? {} : { ttlMs: p.ttlMs }),
        ...(from === undefined ? {} : { from }),
      },
      dedup: p.msgId !== undefined,
    };
  }
}

function toResults(
  members: (SubmitCommand | CancelCommand | BusPublishCommand)[],
  results: CommandResult[],
): TxnResult[] {
  return members.map((m, i) => {
    const r = results[i];
    const ok = r && r.ok ? r : undefined;
    if (m.type === 'task.submit')
      return {
        taskId: ok?.taskIds?.[0] ?? m.tasks[0]!.id,
        duplicate: (ok?.duplicates?.length ?? 0) > 0,
      };
    if (m.type === 'task.cancel') return { taskId: m.taskId, cancelled: true };
    return {
      msgId: m.message.id,
      subscriptions: ok?.count ?? 0,
      duplicate: (ok?.duplicates?.length ?? 0) > 0,
    };
  });
}
