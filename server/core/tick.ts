import { TaskErrorCode } from '../../protocol/index.js';
import type { FailCommand } from './commands.js';
import { busWakeup } from './bus-rules.js';
import type { CoreState } from './core-state.js';
import { dispatchQueue } from './dispatch.js';
import { scheduleDue } from './schedule-rules.js';
import { expire, failTask, promote } from './task-lifecycle.js';
import { removeWorker } from './workers.js';

/**
 * `tick`: act on every wakeup due by `now` (see wakeups.ts). What a wakeup changes in the
 * durable state is journaled as the command it amounts to (promote, expire, fail), before
 * applying it, so that replay meets it before the leases it leads to.
 */
export function tick(s: CoreState, now: number): void {
  for (;;) {
    const wakeup = s.wakeups.popDue(now);
    if (!wakeup) return;
    switch (wakeup.kind) {
      case 'delay': {
        const task = s.tasks.get(wakeup.taskId);
        if (!task || task.state !== 'delayed' || task.gen !== wakeup.gen) break;
        s.journal({ type: 'task.promote', now, taskId: task.id });
        promote(s, task.id, now);
        break;
      }
      case 'ttl': {
        const task = s.tasks.get(wakeup.taskId);
        if (!task || task.attempt > 0) break;
        if (task.state !== 'queued' && task.state !== 'delayed') break;
        s.journal({ type: 'task.expire', now, taskId: task.id });
        expire(s, task.id, now);
        break;
      }
      case 'timeout': {
        const task = s.tasks.get(wakeup.taskId);
        if (!task || task.state !== 'leased' || task.attempt !== wakeup.attempt) break;
        const cmd: FailCommand = {
          type: 'task.fail',
          now,
          taskId: task.id,
          workerId: task.workerId!,
          attempt: task.attempt,
          error: {
            code: TaskErrorCode.TIMEOUT,
            message: `attempt ran longer than ${task.options.timeoutMs} ms`,
          },
          retryable: true,
        };
        s.emit({
          type: 'lease.revoked',
          taskId: task.id,
          workerId: cmd.workerId,
          attempt: cmd.attempt,
          reason: 'timeout',
        });
        s.journal(cmd); // before: failTask may lease the freed slot
        failTask(s, cmd);
        break;
      }
      case 'heartbeat': {
        // One chain per worker record; it ends when the record is removed.
        const worker = wakeup.worker;
        if (s.workers.get(worker.id) !== worker) break;
        const due = worker.lastSeen + worker.heartbeatTimeoutMs;
        if (worker.state === 'disconnected') s.wakeups.at(now + worker.heartbeatTimeoutMs, wakeup);
        else if (due > now) s.wakeups.at(due, wakeup);
        else removeWorker(s, worker, now, 'heartbeat-timeout');
        break;
      }
      case 'grace': {
        const worker = s.workers.get(wakeup.workerId);
        if (!worker || worker.state !== 'disconnected' || worker.epoch !== wakeup.epoch) break;
        removeWorker(s, worker, now, 'grace-expired');
        break;
      }
      case 'limit': {
        const queue = s.queues.get(wakeup.queue);
        const limits = queue?.limits;
        if (!queue || !limits || limits.wakeAt !== wakeup.at) break;
        limits.wakeAt = 0;
        dispatchQueue(s, queue, now);
        break;
      }
      case 'schedule':
        scheduleDue(s, wakeup.name, wakeup.id, wakeup.at, now);
        break;
      case 'bus-ttl':
      case 'bus-ack':
        busWakeup(s, now, wakeup);
        break;
    }
  }
}
