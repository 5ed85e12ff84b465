import {
  CloseCode,
  ErrorCode,
  FrameType,
  PROTOCOL_VERSION,
  type ClientFrame,
  type TaskSpec,
} from '../../protocol/index.js';
import { hasRole, mayUseQueue, OPEN_GRANT, TokenError, verifyToken } from '../auth/index.js';
import type { TaskRecord } from '../core/index.js';
import type { Hub } from './hub.js';
import { SessionState, type Session } from './session.js';
import { storeFailure } from './store-failure.js';
import { toResultFrame, isTerminal } from './task-view.js';

type Handler<F> = (hub: Hub, session: Session, frame: F) => void;
type HandlerTable = { [K in ClientFrame['t']]: Handler<Extract<ClientFrame, { t: K }>> };

/**
 * Frame type → handler. Handlers check the session may do this, turn the frame into a
 * core command, and reply. No business rules here: the core decides (Faktory's split).
 */
export const frameHandlers: HandlerTable = {
  hello(hub, session, frame) {
    if (session.state !== SessionState.handshake) {
      session.sendError(
        ErrorCode.INVALID_FRAME,
        'hello was already sent on this connection',
        frame.id,
      );
      return;
    }
    if (frame.protocol !== PROTOCOL_VERSION) {
      session.close(
        CloseCode.UNSUPPORTED_PROTOCOL,
        `protocol ${frame.protocol} not supported; this hub speaks ${PROTOCOL_VERSION}`,
      );
      return;
    }
    session.state = SessionState.authenticating;
    const welcome = (): void => {
      if (session.conn.closed) return;
      clearTimeout(session.handshakeTimer);
      session.handshakeTimer = undefined; // a cleared Timeout still holds ~150 B per session
      session.state = SessionState.open;
      session.send({
        t: FrameType.welcome,
        id: frame.id,
        protocol: PROTOCOL_VERSION,
        sessionId: session.id,
        role: session.grant!.role,
        hubVersion: hub.version,
        heartbeatMs: hub.heartbeatIntervalMs,
        maxFrameBytes: hub.maxFrameBytes,
      });
      hub.log.debug(
        { session: session.id, role: session.grant!.role, remote: session.conn.remoteAddress },
        'session opened',
      );
    };
    if (!hub.authEnabled) {
      session.grant = OPEN_GRANT;
      welcome();
      return;
    }
    verifyToken(hub.authSecret!, frame.token).then(
      (grant) => {
        if (hub.isRevoked(grant)) {
          hub.metrics.authFailures.inc();
          hub.log.warn(
            { session: session.id, remote: session.conn.remoteAddress, tokenId: grant.tokenId },
            'authentication failed: token revoked',
          );
          session.close(CloseCode.UNAUTHORIZED, 'unauthorized: token revoked');
          return;
        }
        session.grant = grant;
        welcome();
        if (!session.conn.closed) hub.holdGrant(session);
      },
      (err: unknown) => {
        const reason = err instanceof TokenError ? err.message : 'token rejected';
        hub.metrics.authFailures.inc();
        hub.log.warn(
          { session: session.id, remote: session.conn.remoteAddress, reason },
          'authentication failed',
        );
        session.close(CloseCode.UNAUTHORIZED, `unauthorized: ${reason}`);
      },
    );
  },

  register(hub, session, frame) {
    if (!hasRole(session.grant!, 'worker')) {
      session.sendError(
        ErrorCode.FORBIDDEN,
        `role ${session.grant!.role} may not register as a worker`,
        frame.id,
      );
      return;
    }
    if (session.workerId !== undefined) {
      session.sendError(
        ErrorCode.ALREADY_REGISTERED,
        `already registered as ${session.workerId}`,
        frame.id,
      );
      return;
    }
    const denied = frame.queues.find((q) => !mayUseQueue(session.grant!, q));
    if (denied) {
      session.sendError(ErrorCode.FORBIDDEN, `token does not allow queue ${denied}`, frame.id);
      return;
    }
    const workerId = frame.workerId ?? `w-${session.id}`;
    session.registerId = frame.id;
    // The session is bound to the worker id when the core accepts the register (on
    // worker.registered), never before: a register the core refuses (another identity's
    // worker id) must not disturb the connection that holds it.
    const { result } = hub.execute({
      type: 'worker.register',
      now: hub.now(),
      workerId,
      kind: 'push',
      session: session.id,
      owner: session.grant!.identity,
      ...(frame.name === undefined ? {} : { name: frame.name }),
      queues: frame.queues,
      capabilities: frame.capabilities ?? [],
      concurrency: frame.concurrency ?? 1,
      ...(frame.running ? { running: frame.running } : {}),
    });
    if (!result.ok) {
      session.sendError(result.code, result.message, frame.id);
      return;
    }
    // The `registered` reply is sent by the hub when it sees worker.registered, so that it
    // precedes the task frames pushed in the same step.
  },

  heartbeat(hub, session, frame) {
    if (session.workerId !== undefined) {
      hub.execute({ type: 'worker.heartbeat', now: hub.now(), workerId: session.workerId });
    }
    if (frame.id !== undefined) session.send({ t: FrameType.ack, id: frame.id });
  },

  submit(hub, session, frame) {
    hub.submitFromSession(session, [frame.task], frame.id, false);
  },

  submit_many(hub, session, frame) {
    hub.submitFromSession(session, frame.tasks, frame.id, true);
  },

  progress(hub, session, frame) {
    if (!requireWorker(session) || !leaseQueueAllowed(hub, session, frame.taskId)) return;
    const { result } = hub.execute({
      type: 'task.progress',
      now: hub.now(),
      taskId: frame.taskId,
      workerId: session.workerId!,
      attempt: frame.attempt,
      value: frame.value,
    });
    if (!result.ok) session.sendError(result.code, result.message, undefined, frame.taskId);
  },

  complete(hub, session, frame) {
    if (
      !requireWorker(session, frame.id) ||
      !leaseQueueAllowed(hub, session, frame.taskId, frame.id)
    )
      return;
    const { result, seq } = hub.execute({
      type: 'task.complete',
      now: hub.now(),
      taskId: frame.taskId,
      workerId: session.workerId!,
      attempt: frame.attempt,
      result: frame.result,
    });
    replyAfterDurable(hub, session, result, seq, frame.id, frame.taskId);
  },

  fail(hub, session, frame) {
    if (
      !requireWorker(session, frame.id) ||
      !leaseQueueAllowed(hub, session, frame.taskId, frame.id)
    )
      return;
    const { result, seq } = hub.execute({
      type: 'task.fail',
      now: hub.now(),
      taskId: frame.taskId,
      workerId: session.workerId!,
      attempt: frame.attempt,
      error: {
        code: frame.error.code ?? 'HANDLER_ERROR',
        message: frame.error.message,
        ...(frame.error.details === undefined ? {} : { details: frame.error.details }),
      },
      retryable: frame.error.retryable ?? true,
    });
    replyAfterDurable(hub, session, result, seq, frame.id, frame.taskId);
  },

  cancel(hub, session, frame) {
    const task = hub.core.tasks.get(frame.taskId);
    if (
      !hasRole(session.grant!, 'producer') ||
      (task && !mayUseQueue(session.grant!, task.queue))
    ) {
      session.sendError(
        ErrorCode.FORBIDDEN,
        'this token may not cancel that task',
        frame.id,
        frame.taskId,
      );
      return;
    }
    const { result, seq } = hub.execute({
      type: 'task.cancel',
      now: hub.now(),
      taskId: frame.taskId,
      ...(frame.reason === undefined ? {} : { reason: frame.reason }),
    });
    replyAfterDurable(hub, session, result, seq, frame.id, frame.taskId);
  },

  watch(hub, session, frame) {
    if (!hasRole(session.grant!, 'producer')) {
      session.sendError(
        ErrorCode.FORBIDDEN,
        `role ${session.grant!.role} may not watch tasks`,
        frame.id,
      );
      return;
    }
    const missing: string[] = [];
    const finished: TaskRecord[] = [];
    for (const taskId of frame.taskIds) {
      const task = hub.core.tasks.get(taskId);
      if (!task || !mayUseQueue(session.grant!, task.queue)) {
        missing.push(taskId);
        continue;
      }
      if (isTerminal(task)) finished.push(task);
      else hub.watch(session.id, taskId, frame.progress === true);
    }
    session.send({ t: FrameType.ack, id: frame.id });
    // Results of finished tasks follow the ack, once whatever made them final is durable.
    if (finished.length) {
      hub.whenDurable(hub.lastSeq, () => {
        for (const task of finished) session.send(toResultFrame(task));
      });
    }
    for (const taskId of missing) {
      session.sendError(
        ErrorCode.TASK_NOT_FOUND,
        `no task ${taskId} (never existed, or its result was evicted)`,
        undefined,
        taskId,
      );
    }
  },

  drain(hub, session, frame) {
    if (!requireWorker(session, frame.id)) return;
    hub.execute({ type: 'worker.drain', now: hub.now(), workerId: session.workerId! });
    if (frame.id !== undefined) session.send({ t: FrameType.ack, id: frame.id });
  },
};

function requireWorker(session: Session, id?: number): boolean {
  if (session.workerId !== undefined) return true;
  session.sendError(ErrorCode.NOT_REGISTERED, 'send register before worker frames', id);
  return false;
}

/**
 * A worker reports only on tasks of queues its token allows. The lease check in the core
 * already ties a report to the worker holding the lease; this holds even if a lease ever
 * reached a worker outside its token's queues. Free for unscoped tokens (no lookup).
 */
function leaseQueueAllowed(hub: Hub, session: Session, taskId: string, id?: number): boolean {
  if (session.grant!.queues === undefined) return true;
  const task = hub.core.tasks.get(taskId);
  if (!task || mayUseQueue(session.grant!, task.queue)) return true;
  session.sendError(ErrorCode.FORBIDDEN, `token does not allow queue ${task.queue}`, id, taskId);
  return false;
}

function replyAfterDurable(
  hub: Hub,
  session: Session,
  result: { ok: boolean; code?: string; message?: string },
  seq: number,
  id: number | undefined,
  taskId: string,
): void {
  if (!result.ok) {
    session.sendError(result.code!, result.message!, id, taskId);
    return;
  }
  if (id === undefined) return;
  hub.whenDurable(seq, (err) => {
    if (err) session.sendError(storeFailure(err).code, `not persisted: ${err.message}`, id, taskId);
    else session.send({ t: FrameType.ack, id });
  });
}

export function taskSpecsAllowed(session: Session, specs: TaskSpec[]): string | undefined {
  if (!hasRole(session.grant!, 'producer'))
    return `role ${session.grant!.role} may not submit tasks`;
  for (const spec of specs) {
    if (!mayUseQueue(session.grant!, spec.queue)) return `token does not allow queue ${spec.queue}`;
  }
  return undefined;
}
