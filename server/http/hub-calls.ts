import { ErrorCode, type TaskSpec } from '../../protocol/index.js';
import { mayUseQueue, type Grant } from '../auth/index.js';
import type { Command, CommandResult } from '../core/index.js';
import type { Hub } from '../hub/hub.js';
import { isStoreFailureCode, storeFailure } from '../hub/store-failure.js';
import { HttpError, statusForCode } from './http-error.js';

/**
 * Run a command for an HTTP request and wait until it is durable, the same promise the
 * WebSocket side makes: a 2xx means the change survives a crash.
 */
export function executeDurably(hub: Hub, cmd: Command): Promise<CommandResult & { ok: true }> {
  const { result, seq } = hub.execute(cmd);
  if (!result.ok)
    return Promise.reject(new HttpError(statusForCode(result.code), result.code, result.message));
  return new Promise((resolve, reject) => {
    hub.whenDurable(seq, (err) => {
      if (!err) return resolve(result);
      const f = storeFailure(err);
      reject(new HttpError(f.status, f.code, `not persisted: ${err.message}`));
    });
  });
}

export function assertQueueAllowed(grant: Grant | undefined, queue: string): void {
  if (grant && !mayUseQueue(grant, queue)) {
    throw new HttpError(403, ErrorCode.FORBIDDEN, `token does not allow queue ${queue}`);
  }
}

export async function submitTasks(
  hub: Hub,
  grant: Grant | undefined,
  specs: TaskSpec[],
): Promise<{ taskIds: string[]; duplicates: number[] }> {
  for (const s of specs) assertQueueAllowed(grant, s.queue);
  if (!hub.ready)
    throw new HttpError(
      503,
      ErrorCode.SHUTTING_DOWN,
      `the hub is ${hub.phase} and accepts no new tasks`,
    );
  const tasks = specs.map((spec) => ({ id: hub.ids.next(), spec }));
  try {
    const result = await executeDurably(hub, { type: 'task.submit', now: hub.now(), tasks });
    return { taskIds: result.taskIds!, duplicates: result.duplicates! };
  } catch (err) {
    if (err instanceof HttpError && isStoreFailureCode(err.code)) {
      hub.rollbackSubmit(
        tasks.map((t) => t.id),
        err,
      );
    }
    throw err;
  }
}
