import type { Logger } from 'pino';
import { CloseCode, FrameType, type FlowChild } from '../../protocol/index.js';
import type { HubEvent, TaskRecord } from '../core/index.js';
import type { BusRouting } from './bus-routing.js';
import type { SessionTable } from './session-table.js';
import { toResultFrame, toTaskFrame } from './task-view.js';

/** What delivering an event needs from the hub. */
export interface DeliveryContext {
  readonly sessions: SessionTable;
  readonly bus: BusRouting;
  readonly log: Logger;
  /** Run `cb` once everything journaled so far is durable (or failed to be). */
  afterDurable(cb: (err?: Error) => void): void;
  /** End the sessions whose token is now revoked. */
  revokeLiveGrants(): void;
  /** A flow parent's children outcomes, for its task frame (undefined: not a parent). */
  flowChildren(taskId: string): FlowChild[] | undefined;
}

/**
 * What one core event means for the connections: a task frame for its worker, a cancel, a
 * progress or result frame for the producers, the binding of a registered worker, the close
 * of a removed one. Metrics and the event stream observe events elsewhere.
 */
export function deliverEvent(ctx: DeliveryContext, event: HubEvent): void {
  switch (event.type) {
    case 'bus.deliver':
      ctx.bus.deliver(event);
      break;
    case 'task.assigned': {
      const session = ctx.sessions.worker(event.workerId);
      if (session) session.send(toTaskFrame(event.task, ctx.flowChildren(event.task.id)));
      break;
    }
    case 'lease.revoked': {
      const session = ctx.sessions.worker(event.workerId);
      if (session) {
        session.send({
          t: FrameType.cancel,
          taskId: event.taskId,
          attempt: event.attempt,
          reason: event.reason,
        });
      }
      break;
    }
    case 'task.progress':
      ctx.sessions.deliverProgress(event.task.id, event.task.submitter, event.value);
      break;
    case 'task.completed':
    case 'task.dead':
    case 'task.expired':
    case 'task.cancelled':
      deliverResult(ctx, event.task);
      break;
    case 'worker.registered': {
      const session =
        event.worker.session === undefined ? undefined : ctx.sessions.get(event.worker.session);
      if (session && event.worker.kind === 'push') {
        ctx.sessions.bind(session, event.worker.id);
        session.send({
          t: FrameType.registered,
          id: session.registerId,
          workerId: event.worker.id,
          resumed: event.resumed,
          dropped: event.dropped,
        });
      }
      // Per-worker lines are debug: a fleet of 10,000 reconnecting after a deploy would
      // otherwise be 10,000 info lines (and ~10 KB of garbage each through redaction).
      // The event stream and /metrics show worker lifecycle to operators.
      ctx.log.debug(
        {
          worker: event.worker.id,
          queues: event.worker.queues,
          concurrency: event.worker.concurrency,
        },
        'worker registered',
      );
      break;
    }
    case 'worker.removed': {
      if (event.reason === 'heartbeat-timeout')
        ctx.sessions.dropWorker(
          event.worker.id,
          CloseCode.HEARTBEAT_TIMEOUT,
          'missed heartbeats; leases released',
        );
      // Unregistered over HTTP while its socket is open: a socket left open would keep an
      // SDK saying "connected" while nothing is pushed to it any more.
      else if (event.reason === 'unregistered')
        ctx.sessions.dropWorker(
          event.worker.id,
          CloseCode.UNREGISTERED,
          'worker unregistered; leases requeued',
        );
      if (event.reason === 'heartbeat-timeout') {
        ctx.log.warn({ worker: event.worker.id, reason: event.reason }, 'worker removed');
      } else ctx.log.debug({ worker: event.worker.id, reason: event.reason }, 'worker removed');
      break;
    }
    case 'token.revoked':
      ctx.revokeLiveGrants();
      break;
    default:
      break;
  }
}

/**
 * Push a final result to the submitter and watchers, once whatever made it final is on
 * disk: a producer that saw "completed" must never see the task run again after a crash.
 */
function deliverResult(ctx: DeliveryContext, task: TaskRecord): void {
  const sessions = ctx.sessions;
  const owner = task.submitter === undefined ? undefined : sessions.get(task.submitter);
  const watchers = sessions.takeWatchers(task.id);
  if (!owner && !watchers) return;
  // The frame is built now, from the record as the command left it: by the time the
  // record is durable the task may already be evicted (a short resultTtlMs, or beyond
  // tasks.maxFinished), and the producer must get its result all the same.
  const frame = toResultFrame(task);
  // One closure per result, holding what it sends: with fsync=always, thousands of these
  // wait for each fsync, so each object less per result is garbage the collector skips.
  ctx.afterDurable((err) => {
    // On a failed fsync the hub stops; watchers re-ask after restart.
    if (!err) sessions.sendResult(frame, owner, watchers);
  });
}
