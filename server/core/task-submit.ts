import { ErrorCode, Priority, type TaskSpec } from '../../protocol/index.js';
import { fail, type CommandResult } from './command-result.js';
import type { SubmitCommand } from './commands.js';
import type { CoreState } from './core-state.js';
import { dispatchQueue } from './dispatch.js';
import type { QueueState } from './queue-state.js';
import type { TaskRecord } from './records.js';

/** Submit: new tasks enter the core (or an idempotency key finds the one already there). */
export function submit(s: CoreState, cmd: SubmitCommand): CommandResult {
  const taskIds: string[] = [];
  const duplicates: number[] = [];
  const touched = new Set<QueueState>();
  // All or nothing: a refused batch must not leave its first tasks behind.
  const ids = cmd.tasks.length > 1 ? new Set<string>() : undefined;
  for (let i = 0; i < cmd.tasks.length; i++) {
    const id = cmd.tasks[i]!.id;
    if (s.tasks.has(id) || ids?.has(id))
      return fail(ErrorCode.CONFLICT, `task id ${id} already exists`);
    ids?.add(id);
  }
  for (let i = 0; i < cmd.tasks.length; i++) {
    const { id, spec } = cmd.tasks[i]!;
    if (spec.idempotencyKey !== undefined) {
      const existing = s.idempotent(spec.queue, spec.idempotencyKey);
      if (existing !== undefined) {
        taskIds.push(existing);
        duplicates.push(i);
        continue;
      }
    }
    const queue = s.queue(spec.queue);
    const task = createTask(s, id, spec, queue, cmd.now, cmd.submitter);
    taskIds.push(id);
    enqueueNew(s, task, queue, cmd.now);
    touched.add(queue);
  }
  for (const queue of touched) dispatchQueue(s, queue, cmd.now);
  return { ok: true, taskIds, duplicates };
}

export function createTask(
  s: CoreState,
  id: string,
  spec: TaskSpec,
  queue: QueueState,
  now: number,
  submitter?: string,
): TaskRecord {
  const runAt =
    spec.delayMs !== undefined ? now + spec.delayMs : spec.runAt !== undefined ? spec.runAt : now;
  const ttl = spec.ttlMs ?? 0;
  const task: TaskRecord = {
    id,
    seq: s.nextSeq++,
    ord: 0,
    gen: 0,
    // The queue's own name string: a name decoded from each frame is a fresh copy, and a
    // million queued tasks would otherwise hold a million copies of it.
    queue: queue.name,
    priority: Priority[spec.priority ?? 'normal'],
    payload: spec.payload,
    state: 'queued',
    attempt: 0,
    options: s.taskOptions.forSpec(spec),
    expiresAt: ttl > 0 ? Math.max(runAt, now) + ttl : 0,
    runAt,
    createdAt: now,
    startedAt: 0,
    finishedAt: 0,
    workerId: undefined,
    submitter,
    result: undefined,
    error: undefined,
    progress: undefined,
  };
  s.tasks.set(id, task);
  s.rememberIdempotency(task);
  s.emit({ type: 'task.submitted', task });
  return task;
}

/** Place a freshly created task: delayed until its time, or at the back of its queue. */
export function enqueueNew(s: CoreState, task: TaskRecord, queue: QueueState, now: number): void {
  if (task.expiresAt > 0) s.wakeups.at(task.expiresAt, { kind: 'ttl', taskId: task.id });
  if (task.runAt > now) {
    task.state = 'delayed';
    queue.delayed++;
    s.wakeups.at(task.runAt, { kind: 'delay', taskId: task.id, gen: task.gen });
  } else {
    task.state = 'queued';
    queue.push(task);
  }
}
