import type { TaskError } from '../../protocol/index.js';
import type { Command, TaskRecord } from '../core/index.js';
import { asWorker } from './access-rules.js';
import type { Caller } from './caller.js';
import type { Done } from './done.js';
import type { Engine } from './engine.js';
import type { GatewayRules } from './gateway-rules.js';

/** Pass as `done` when nobody waits for the outcome (a frame without an id): no waiter at all. */
export const NO_REPLY = null;

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

/**
 * A worker's reports on the attempts it holds, as part of the gateway (the Gateway's
 * progress, complete and fail delegate here). The WebSocket hot path: no promise and no
 * waiter when nobody waits for the outcome (NO_REPLY).
 */
export class WorkerReports {
  constructor(
    private readonly hub: Engine,
    private readonly gateway: GatewayRules,
  ) {}

  progress(
    caller: Caller,
    workerId: string,
    taskId: string,
    attempt: number,
    value: unknown,
  ): void {
    asWorker(this.hub.core, caller, workerId, taskId);
    this.gateway.check(
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
  complete(
    caller: Caller,
    report: Completion,
    done: Done<TaskRecord | undefined> | typeof NO_REPLY | undefined,
  ): Promise<TaskRecord | undefined> | undefined {
    const { workerId, taskId, attempt, result } = report;
    return this.report(
      caller,
      { type: 'task.complete', now: this.hub.now(), workerId, taskId, attempt, result },
      done,
    );
  }

  /** The attempt failed: retried with backoff, or dead-lettered on its last attempt. */
  fail(
    caller: Caller,
    report: Failure,
    done: Done<TaskRecord | undefined> | typeof NO_REPLY | undefined,
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
    asWorker(this.hub.core, caller, cmd.workerId, cmd.taskId);
    if (done === NO_REPLY) {
      // A frame without an id (the hot path of a push worker): nobody gets the task back.
      this.gateway.check(this.hub.execute(cmd).result, cmd.taskId);
      return undefined;
    }
    // Held before the command: a finished task may be evicted by the command itself.
    const task = this.hub.core.tasks.get(cmd.taskId);
    const { result, seq } = this.hub.execute(cmd);
    this.gateway.check(result, cmd.taskId);
    return this.gateway.settle(seq, done, cmd.taskId, () => task);
  }
}
