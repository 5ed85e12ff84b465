import { ErrorCode, Priority, type PriorityName } from '../../protocol/index.js';
import { mayUseTopic, type Role } from '../auth/index.js';
import type { Command, CommandResult, Qos } from '../core/index.js';
import type { Caller } from './caller.js';
import type { Done } from './done.js';
import type { Engine } from './engine.js';
import { OperationError } from './operation-error.js';

/** The gateway's building blocks bus operations share (the Gateway provides them). */
interface GatewayRules {
  requireRole(caller: Caller, role: Role, what: string): void;
  gateNewWork(what: string): void;
  check(result: CommandResult): CommandResult & { ok: true };
  settleDurable<T>(seq: number, done: Done<T> | undefined, value: () => T): Promise<T> | undefined;
}

export interface SubscribeRequest {
  /** The subscription's id on this connection, chosen by the client. */
  sid: number;
  pattern: string;
  group?: string;
  durable?: string;
  /** Stored messages delivered and not yet acked, at most (default 256). */
  maxInFlight?: number;
}

export interface PublishRequest {
  topic: string;
  data: unknown;
  qos?: Qos;
  priority?: PriorityName;
  ttlMs?: number;
  /** The publisher's message id: for exactly-once, a second publish of it is dropped. */
  id?: string;
}

export interface PublishOutcome {
  /** The message's id (the publisher's, or the hub's for a stored message without one). */
  id: string | undefined;
  /** Subscriptions it was delivered to (at-most-once) or stored for (the others). */
  subscriptions: number;
  /** An id already published within the dedup window: nothing was stored again. */
  duplicate: boolean;
}

export const DEFAULT_MAX_IN_FLIGHT = 256;

/** Subscriptions one connection may hold: each costs the hub memory until it ends. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 10_000;

/**
 * The message bus, as part of the gateway (`gateway.bus`). Any authenticated role may
 * publish and subscribe, within its token's topic patterns (`topics` claim); `$sys` topics
 * are the hub's lifecycle events, for admins only. Subscriptions belong to connections: the
 * caller must be a WebSocket session (HTTP subscribers are SSE sessions of the hub).
 */
export class BusOperations {
  constructor(
    private readonly hub: Engine,
    private readonly rules: GatewayRules,
  ) {}

  subscribe(caller: Caller, req: SubscribeRequest): void {
    const session = this.sessionOf(caller, 'subscribe');
    this.requireTopic(caller, req.pattern, 'subscribe to');
    if ((this.hub.core.bus.bySession.get(session)?.size ?? 0) >= MAX_SUBSCRIPTIONS_PER_CONNECTION)
      throw new OperationError(
        ErrorCode.RATE_LIMITED,
        `this connection holds ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions already; unsubscribe some first`,
      );
    this.rules.check(
      this.hub.execute({
        type: 'bus.subscribe',
        now: this.hub.now(),
        session,
        sid: req.sid,
        pattern: req.pattern,
        ...(req.group === undefined ? {} : { group: req.group }),
        ...(req.durable === undefined ? {} : { durable: req.durable }),
        maxInFlight: req.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
        identity: caller.grant.identity,
        admin: caller.grant.role === 'admin',
      }).result,
    );
  }

  /**
   * Leave a subscription; with `forget`, delete a durable one and what it holds (resolves
   * once that is durable).
   */
  unsubscribe(caller: Caller, sid: number, forget: boolean, done: Done<void>): void {
    const session = this.sessionOf(caller, 'unsubscribe');
    const { result, seq } = this.hub.execute({
      type: 'bus.unsubscribe',
      now: this.hub.now(),
      session,
      sid,
      ...(forget ? { forget: true } : {}),
      identity: caller.grant.identity,
      admin: caller.grant.role === 'admin',
    });
    this.rules.check(result);
    this.rules.settleDurable(seq, done, () => undefined);
  }

  publish(caller: Caller, req: PublishRequest): Promise<PublishOutcome>;
  publish(caller: Caller, req: PublishRequest, done: Done<PublishOutcome>): undefined;
  publish(
    caller: Caller,
    req: PublishRequest,
    done?: Done<PublishOutcome>,
  ): Promise<PublishOutcome> | undefined {
    this.requireTopic(caller, req.topic, 'publish to');
    this.rules.gateNewWork('messages');
    const now = this.hub.now();
    const priority = Priority[req.priority ?? 'normal'];
    const from = fromOf(caller);
    const qos = req.qos ?? 'at-most-once';
    if (qos === 'at-most-once') {
      const { result } = this.hub.execute({
        type: 'bus.emit',
        now,
        id: req.id,
        topic: req.topic,
        data: req.data,
        priority,
        ...(from === undefined ? {} : { from }),
      });
      const ok = this.rules.check(result);
      const outcome = { id: req.id, subscriptions: ok.count ?? 0, duplicate: false };
      if (done) {
        done(undefined, outcome);
        return undefined;
      }
      return Promise.resolve(outcome);
    }
    const id = req.id ?? this.hub.ids.next();
    const cmd: Command = {
      type: 'bus.publish',
      now,
      message: {
        id,
        topic: req.topic,
        data: req.data,
        priority,
        qos,
        ...(req.ttlMs === undefined ? {} : { ttlMs: req.ttlMs }),
        ...(from === undefined ? {} : { from }),
      },
      dedup: req.id !== undefined,
    };
    const { result, seq } = this.hub.execute(cmd);
    const ok = this.rules.check(result);
    const outcome: PublishOutcome = {
      id,
      subscriptions: ok.count ?? 0,
      duplicate: (ok.duplicates?.length ?? 0) > 0,
    };
    return this.rules.settleDurable(seq, done, () => outcome);
  }

  /**
   * A request: delivered at-most-once to the subscribers connected now; the first reply
   * goes back to this connection as the answer to `reqId`. NO_RESPONDERS when nobody
   * subscribes; the timeout is the requester's.
   */
  request(
    caller: Caller,
    req: { topic: string; data: unknown; priority?: PriorityName; timeoutMs: number },
    reqId: number,
  ): void {
    const session = this.sessionOf(caller, 'send requests');
    this.requireTopic(caller, req.topic, 'send requests to');
    this.rules.gateNewWork('messages');
    const replyTo = this.hub.openRequest(session, reqId, req.timeoutMs);
    if (replyTo === undefined)
      throw new OperationError(
        ErrorCode.RATE_LIMITED,
        'this connection has 1000 requests waiting for replies already; wait for some to end',
      );
    const from = fromOf(caller);
    const { result } = this.hub.execute({
      type: 'bus.emit',
      now: this.hub.now(),
      id: undefined,
      topic: req.topic,
      data: req.data,
      priority: Priority[req.priority ?? 'normal'],
      replyTo,
      ...(from === undefined ? {} : { from }),
    });
    if (!result.ok) this.hub.closeRequest(replyTo);
    this.rules.check(result);
  }

  /** A subscriber's answer to a request; false when nobody waits for it any more. */
  reply(
    _caller: Caller,
    replyTo: string,
    data: unknown,
    error?: { code: string; message: string },
  ): boolean {
    // Whatever code a responder sends, the requester learns that the responder failed.
    return this.hub.reply(
      replyTo,
      data,
      error && { code: ErrorCode.RESPONDER_FAILED, message: error.message },
    );
  }

  ack(caller: Caller, sid: number, msgId: string, nack: boolean): void {
    const session = this.sessionOf(caller, 'ack messages');
    this.rules.check(
      this.hub.execute({
        type: 'bus.ack',
        now: this.hub.now(),
        session,
        sid,
        msgId,
        ...(nack ? { nack: true } : {}),
      }).result,
    );
  }

  /** A direct message to one connected client: a worker by its id, any client by session id. */
  send(caller: Caller, to: string, data: unknown): void {
    this.rules.gateNewWork('messages');
    const from = fromOf(caller) ?? 'http';
    if (!this.hub.sendDirect(to, from, data))
      throw new OperationError(
        ErrorCode.CLIENT_NOT_FOUND,
        `no connected client "${to}" (a worker id or a session id)`,
      );
  }

  /** A connection ended: its subscriptions end with it. */
  sessionClosed(session: string): void {
    this.hub.execute({ type: 'bus.session.closed', now: this.hub.now(), session });
  }

  private sessionOf(caller: Caller, what: string): string {
    if (caller.session === undefined)
      throw new OperationError(ErrorCode.INVALID_STATE, `${what} needs a WebSocket connection`);
    return caller.session;
  }

  private requireTopic(caller: Caller, subject: string, what: string): void {
    if (!mayUseTopic(caller.grant, subject))
      throw new OperationError(
        ErrorCode.FORBIDDEN,
        subject.startsWith('$sys')
          ? `only an admin token without a queue scope may ${what} "${subject}" (the hub's own events)`
          : `token does not allow topic "${subject}"`,
      );
  }
}

/** How a message names its sender: the worker a connection is bound to, else its session. */
function fromOf(caller: Caller): string | undefined {
  return caller.boundWorker ?? caller.session;
}
