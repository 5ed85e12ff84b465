import { FrameType, type ClientFrame } from '../../protocol/index.js';
import { OperationError } from '../gateway/operation-error.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Session } from './session.js';

/** What these handlers need of the hub (a part of frame-handlers.ts's FrameContext). */
interface BusFrameContext {
  readonly gateway: Gateway;
}

type Handler<F> = (hub: BusFrameContext, session: Session, frame: F) => void;
type BusFrameType =
  'subscribe' | 'unsubscribe' | 'publish' | 'request' | 'reply' | 'msg_ack' | 'send' | 'txn';
type BusHandlerTable = { [K in BusFrameType]: Handler<Extract<ClientFrame, { t: K }>> };

/**
 * The message bus's frames (docs/protocol.md, "Message bus"). Like every handler: check
 * nothing but the frame's shape (done before), call the gateway, render its answer.
 */
export const busFrameHandlers: BusHandlerTable = {
  subscribe(hub, session, frame) {
    const ok = attempt(session, frame.id, () => {
      hub.gateway.bus.subscribe(session.caller, {
        sid: frame.sid,
        pattern: frame.pattern,
        ...(frame.group === undefined ? {} : { group: frame.group }),
        ...(frame.durable === undefined ? {} : { durable: frame.durable }),
        ...(frame.maxInFlight === undefined ? {} : { maxInFlight: frame.maxInFlight }),
      });
      return true;
    });
    // Deliveries may precede this ack in the same write: the client registered the sid's
    // handler before sending the frame.
    if (ok) session.send({ t: FrameType.ack, id: frame.id });
  },

  unsubscribe(hub, session, frame) {
    const id = frame.id;
    attempt(session, id, () =>
      hub.gateway.bus.unsubscribe(session.caller, frame.sid, frame.forget === true, (err) => {
        if (id === undefined) return;
        if (err) session.sendError(err.code, err.message, id);
        else session.send({ t: FrameType.ack, id });
      }),
    );
  },

  publish(hub, session, frame) {
    const id = frame.id;
    attempt(session, id, () =>
      hub.gateway.bus.publish(
        session.caller,
        {
          topic: frame.topic,
          data: frame.data,
          ...(frame.qos === undefined ? {} : { qos: frame.qos }),
          ...(frame.priority === undefined ? {} : { priority: frame.priority }),
          ...(frame.ttlMs === undefined ? {} : { ttlMs: frame.ttlMs }),
          ...(frame.msgId === undefined ? {} : { id: frame.msgId }),
        },
        (err, out) => {
          if (id === undefined) return;
          if (err) return session.sendError(err.code, err.message, id);
          session.send({
            t: FrameType.published,
            id,
            ...(out!.id === undefined ? {} : { msgId: out!.id }),
            subscriptions: out!.subscriptions,
            duplicate: out!.duplicate,
          });
        },
      ),
    );
  },

  request(hub, session, frame) {
    attempt(session, frame.id, () =>
      hub.gateway.bus.request(
        session.caller,
        {
          topic: frame.topic,
          data: frame.data,
          timeoutMs: frame.timeoutMs,
          ...(frame.priority === undefined ? {} : { priority: frame.priority }),
        },
        frame.id,
      ),
    );
  },

  reply(hub, session, frame) {
    // A late or second reply finds nobody waiting: dropped, as in NATS.
    hub.gateway.bus.reply(session.caller, frame.to, frame.data, frame.error);
  },

  msg_ack(hub, session, frame) {
    attempt(session, undefined, () =>
      hub.gateway.bus.ack(session.caller, frame.sid, frame.msgId, frame.nack === true),
    );
  },

  send(hub, session, frame) {
    const ok = attempt(session, frame.id, () => {
      hub.gateway.bus.send(session.caller, frame.to, frame.data);
      return true;
    });
    if (ok && frame.id !== undefined) session.send({ t: FrameType.ack, id: frame.id });
  },

  txn(hub, session, frame) {
    const id = frame.id;
    attempt(session, id, () =>
      hub.gateway.transactions.run(session.caller, frame.ops, (err, results) => {
        if (err) return session.sendError(err.code, err.message, id);
        session.send({ t: FrameType.committed, id, results: results! });
      }),
    );
  },
};

/** Run a gateway call; a refusal becomes this session's error frame. */
function attempt<T>(session: Session, id: number | undefined, call: () => T): T | undefined {
  try {
    return call();
  } catch (err) {
    if (!(err instanceof OperationError)) throw err;
    session.sendError(err.code, err.message, id);
    return undefined;
  }
}
