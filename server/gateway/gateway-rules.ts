import type {
  AttemptRecord,
  Command,
  CommandResult,
  QueueState,
  TaskRecord,
  WorkerRecord,
} from '../core/index.js';
import type { Caller } from './caller.js';
import type { Done } from './done.js';

/** The core's answer to a command it accepted. */
export type Ok = CommandResult & { ok: true };

/**
 * What the gateway's task, worker, queue and read parts need of the Gateway beside the
 * access rules (access-rules.ts): the wait for durability and each other's lookups. The
 * parts take this view of it so no part imports gateway.ts.
 */
export interface GatewayRules {
  durably(cmd: Command, taskId?: string): Promise<Ok>;
  settle<T>(
    seq: number,
    done: Done<T> | undefined,
    taskId: string | undefined,
    value: () => T,
    onLost?: (err: Error) => string,
  ): Promise<T> | undefined;
  check(result: CommandResult, taskId?: string): Ok;
  deadTask(
    caller: Caller,
    name: string,
    taskId: string,
  ): { task: TaskRecord; attempts: readonly AttemptRecord[] };
  queue(caller: Caller, name: string): QueueState;
  queues(caller: Caller): QueueState[];
  workers(caller: Caller): WorkerRecord[];
}
