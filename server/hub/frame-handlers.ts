import {
  CloseCode,
  ErrorCode,
  FrameType,
  PROTOCOL_VERSION,
  type ClientFrame,
} from '../../protocol/index.js';
import { OPEN_GRANT, TokenError, verifyToken } from '../auth/index.js';
import type { Caller } from '../gateway/caller.js';
import { NO_REPLY } from '../gateway/gateway.js';
import { OperationError } from '../gateway/operation-error.js';
import type { Logger } from 'pino';
import type { Grant } from '../auth/index.js';
import type { Gateway } from '../gateway/gateway.js';
import { busFrameHandlers } from './bus-frame-handlers.js';
import { SessionState, type Session } from './session.js';
import { toResultFrame } from './task-view.js';

/** What the handlers need of the hub that owns the session (the hub passes itself). */
export interface FrameContext {
  readonly gateway: Gateway;
  readonly version: string;
  readonly heartbeatIntervalMs: number;
  readonly maxFrameBytes: number;
  readonly authEnabled: boolean;
  readonly authSecret: string | undefined;
  readonly log: Logger;
  readonly metrics: { readonly authFailures: { inc(): void } };
  readonly lastSeq: number;
  isRevoked(grant: Grant): boolean;
  /** From welcome on, the session ends when its token is revoked or expires. */
  holdGrant(session: Session): void;
  whenDurable(seq: number, cb: (err?: Error) => void): void;
}

type Handler<F> = (hub: FrameContext, session: Session, frame: F) => void;
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
    if (session.workerId !== undefined) {
      session.sendError(
        ErrorCode.ALREADY_REGISTERED,
        `already registered as ${session.workerId}`,
        frame.id,
      );
      return;
    }
    session.registerId = frame.id;
    // The `registered` reply is sent by the hub when it sees worker.registered, so that it
    // precedes the task frames pushed in the same step.
    attempt(session, frame.id, undefined, () =>
      hub.gateway.register(callerOf(session), {
        kind: 'push',
        queues: frame.queues,
        ...(frame.workerId === undefined ? {} : { workerId: frame.workerId }),
        ...(frame.name === undefined ? {} : { name: frame.name }),
        ...(frame.capabilities === undefined ? {} : { capabilities: frame.capabilities }),
        ...(frame.concurrency === undefined ? {} : { concurrency: frame.concurrency }),
        ...(frame.running === undefined ? {} : { running: frame.running }),
      }),
    );
  },

  heartbeat(hub, session, frame) {
    // A heartbeat before register is a keepalive: nothing to refresh.
    const workerId = session.workerId;
    if (workerId !== undefined) {
      const ok = attempt(session, frame.id, undefined, () => {
        hub.gateway.heartbeat(callerOf(session), workerId);
        return true;
      });
      if (!ok) return;
    }
    ack(session, frame.id);
  },

  submit(hub, session, frame) {
    const id = frame.id;
    attempt(session, id, undefined, () =>
      hub.gateway.submit(callerOf(session), [frame.task], (err, r) => {
        if (err) return refused(session, err, id);
        session.send({
          t: FrameType.submitted,
          id,
          taskId: r!.taskIds[0]!,
          duplicate: r!.duplicates.length > 0,
        });
      }),
    );
  },

  submit_many(hub, session, frame) {
    const id = frame.id;
    attempt(session, id, undefined, () =>
      hub.gateway.submit(callerOf(session), frame.tasks, (err, r) => {
        if (err) return refused(session, err, id);
        session.send({
          t: FrameType.submittedMany,
          id,
          taskIds: r!.taskIds,
          duplicates: r!.duplicates,
        });
      }),
    );
  },

  flow(hub, session, frame) {
    const id = frame.id;
    attempt(session, id, undefined, () =>
      hub.gateway.flows.submit(callerOf(session), frame.flow, (err, r) => {
        if (err) return refused(session, err, id);
        session.send({
          t: FrameType.flowSubmitted,
          id,
          taskIds: r!.taskIds,
          duplicate: r!.duplicate,
        });
      }),
    );
  },

  progress(hub, session, frame) {
    attempt(session, undefined, frame.taskId, () =>
      hub.gateway.progress(
        callerOf(session),
        session.workerId ?? '',
        frame.taskId,
        frame.attempt,
        frame.value,
      ),
    );
  },

  complete(hub, session, frame) {
    const id = frame.id;
    const { taskId, attempt: attemptNo, result } = frame;
    const workerId = session.workerId ?? '';
    attempt(session, id, taskId, () =>
      hub.gateway.complete(
        callerOf(session),
        { workerId, taskId, attempt: attemptNo, result },
        id === undefined ? NO_REPLY : (err) => (err ? refused(session, err, id) : ack(session, id)),
      ),
    );
  },

  fail(hub, session, frame) {
    const id = frame.id;
    const { taskId, attempt: attemptNo, error } = frame;
    const workerId = session.workerId ?? '';
    attempt(session, id, taskId, () =>
      hub.gateway.fail(
        callerOf(session),
        { workerId, taskId, attempt: attemptNo, error },
        id === undefined ? NO_REPLY : (err) => (err ? refused(session, err, id) : ack(session, id)),
      ),
    );
  },

  cancel(hub, session, frame) {
    const id = frame.id;
    attempt(session, id, frame.taskId, () =>
      hub.gateway.cancel(callerOf(session), frame.taskId, frame.reason, (err) =>
        err ? refused(session, err, id) : ack(session, id),
      ),
    );
  },

  watch(hub, session, frame) {
    const seen = attempt(session, frame.id, undefined, () =>
      hub.gateway.watch(callerOf(session), frame.taskIds, frame.progress === true),
    );
    if (!seen) return;
    session.send({ t: FrameType.ack, id: frame.id });
    // Results of finished tasks follow the ack, once whatever made them final is durable.
    if (seen.finished.length) {
      hub.whenDurable(hub.lastSeq, () => {
        for (const task of seen.finished) session.send(toResultFrame(task));
      });
    }
    for (const taskId of seen.missing) {
      session.sendError(
        ErrorCode.TASK_NOT_FOUND,
        `no task ${taskId} (never existed, or its result was evicted)`,
        undefined,
        taskId,
      );
    }
  },

  drain(hub, session, frame) {
    const ok = attempt(session, frame.id, undefined, () => {
      hub.gateway.drain(callerOf(session), session.workerId ?? '');
      return true;
    });
    if (ok) ack(session, frame.id);
  },

  ...busFrameHandlers,
};

/** How this connection appears to the gateway. */
function callerOf(session: Session): Caller {
  return session.caller;
}

function ack(session: Session, id: number | undefined): void {
  if (id !== undefined) session.send({ t: FrameType.ack, id });
}

/** Run a gateway call; a refusal becomes this session's error frame (other errors propagate). */
function attempt<T>(
  session: Session,
  id: number | undefined,
  taskId: string | undefined,
  call: () => T,
): T | undefined {
  try {
    return call();
  } catch (err) {
    if (!(err instanceof OperationError)) throw err;
    session.sendError(err.code, err.message, id, err.taskId ?? taskId);
    return undefined;
  }
}

/** A refusal that came after the fact (the change could not be made durable). */
function refused(session: Session, err: OperationError, id: number | undefined): void {
  session.sendError(err.code, err.message, id, err.taskId);
}
