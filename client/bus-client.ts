import {
  FrameType,
  type HubFrame,
  type MessageFrame,
  type PriorityName,
  type PublishedFrame,
  type ResponseFrame,
} from '../protocol/index.js';
import type { Connection } from './connection.js';
import { ReplyTimeoutError, TimeoutError } from './errors.js';

export type Qos = 'at-most-once' | 'at-least-once' | 'exactly-once';

export interface PublishOptions {
  /** Default at-most-once: not stored, delivered to the subscribers connected now. */
  qos?: Qos;
  /** Stored messages not delivered within this expire (an event, and a metric). */
  ttlMs?: number;
  /** Orders what a subscriber with a backlog gets next. Default normal. */
  priority?: PriorityName;
  /** Your message id: with exactly-once, a second publish of it within the hub's window is dropped. */
  id?: string;
}

export interface Published {
  /** The message's id (yours, or the hub's for a stored message). */
  id: string | undefined;
  /** Subscriptions it was delivered to (at-most-once) or stored for. */
  subscriptions: number;
  /** An id already published within the dedup window: nothing was stored again. */
  duplicate: boolean;
}

export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group. */
  group?: string;
  /**
   * A durable name: stored messages wait for it while it is away, and it resumes where it
   * left off after a reconnect or a hub restart.
   */
  durable?: string;
  /** Stored messages handed to this subscription and not yet acked, at most. Default 256. */
  maxInFlight?: number;
}

export interface RequestOptions {
  /** Default 5,000. */
  timeoutMs?: number;
  priority?: PriorityName;
}

/** A message as a handler receives it. */
export interface BusMessage<T = unknown> {
  topic: string;
  data: T;
  /** The publisher's id, or the hub's for a stored message. */
  id: string | undefined;
  /** The publisher: a worker id or a session id ('hub' for `$sys` topics). */
  from: string | undefined;
  /** Deliveries of this message to this subscription so far (2+: a redelivery). */
  attempt: number;
  priority: PriorityName;
  /** When it was published, Unix ms. */
  publishedAt: number;
  /** A stored message: acked when the handler's promise resolves, delivered again if it rejects. */
  acked: boolean;
}

/**
 * Runs for each message. What it returns (or resolves to) is the reply when the message is
 * a request.
 */
export type MessageHandler<T = unknown> = (message: BusMessage<T>) => unknown;

/** Leave the subscription; `forget: true` also deletes a durable one and what it holds. */
export type Unsubscribe = (options?: { forget?: boolean }) => Promise<void>;

interface Subscription {
  sid: number;
  pattern: string;
  options: SubscribeOptions;
  handler: MessageHandler;
  /** Ids of stored messages this subscription has handled lately: a redelivery is acked, not run again. */
  handled: Set<string>;
}

/** Ids remembered per subscription for exactly-once (a redelivery after a lost ack). */
const HANDLED_MEMORY = 10_000;

/**
 * The message bus for Producer and Worker: publish, subscribe (plain, queue group,
 * durable), request/reply and direct messages, over the client's one connection.
 * Subscriptions are made again after every reconnect, with the same ids.
 */
export class BusClient {
  private readonly subs = new Map<number, Subscription>();
  private nextSid = 1;
  private readonly direct = new Set<MessageHandler>();

  constructor(
    private readonly conn: Connection,
    private readonly reportError: (err: Error) => void,
  ) {}

  async publish(topic: string, data: unknown, options: PublishOptions = {}): Promise<Published> {
    await this.conn.start();
    const frame: Record<string, unknown> = { t: FrameType.publish, topic };
    if (data !== undefined) frame.data = data;
    if (options.qos !== undefined && options.qos !== 'at-most-once') frame.qos = options.qos;
    if (options.ttlMs !== undefined) frame.ttlMs = options.ttlMs;
    if (options.priority !== undefined && options.priority !== 'normal')
      frame.priority = options.priority;
    if (options.id !== undefined) frame.msgId = options.id;
    const reply = (await this.conn.request(frame as { t: string })) as PublishedFrame;
    return { id: reply.msgId, subscriptions: reply.subscriptions, duplicate: reply.duplicate };
  }

  async subscribe<T = unknown>(
    pattern: string,
    handler: MessageHandler<T>,
    options: SubscribeOptions = {},
  ): Promise<Unsubscribe> {
    await this.conn.start();
    const sub: Subscription = {
      sid: this.nextSid++,
      pattern,
      options,
      handler: handler as MessageHandler,
      handled: new Set(),
    };
    // Before the frame: deliveries may arrive before its ack.
    this.subs.set(sub.sid, sub);
    try {
      await this.conn.request(subscribeFrame(sub));
    } catch (err) {
      this.subs.delete(sub.sid);
      throw err;
    }
    return async (opts = {}) => {
      if (!this.subs.delete(sub.sid)) return;
      const frame: Record<string, unknown> = { t: FrameType.unsubscribe, sid: sub.sid };
      if (opts.forget) frame.forget = true;
      await this.conn.request(frame as { t: string });
    };
  }

  async request<R = unknown>(
    topic: string,
    data: unknown,
    options: RequestOptions = {},
  ): Promise<R> {
    await this.conn.start();
    const timeoutMs = options.timeoutMs ?? 5000;
    const frame: Record<string, unknown> = { t: FrameType.request, topic, timeoutMs };
    if (data !== undefined) frame.data = data;
    if (options.priority !== undefined) frame.priority = options.priority;
    try {
      const reply = (await this.conn.request(frame as { t: string }, timeoutMs)) as ResponseFrame;
      return reply.data as R;
    } catch (err) {
      if (err instanceof TimeoutError)
        throw new ReplyTimeoutError(`no reply to a request on "${topic}" within ${timeoutMs} ms`);
      throw err;
    }
  }

  /** A direct message to one connected client: a worker id, or a connection's session id. */
  async send(clientId: string, data: unknown): Promise<void> {
    await this.conn.start();
    const frame: Record<string, unknown> = { t: FrameType.send, to: clientId };
    if (data !== undefined) frame.data = data;
    await this.conn.request(frame as { t: string });
  }

  /** Direct messages (`send`) to this client. Returns a function that removes the handler. */
  onDirect(handler: MessageHandler): () => void {
    this.direct.add(handler);
    return () => this.direct.delete(handler);
  }

  /** After a reconnect, before the connection reports ready: subscribe again, same ids. */
  async restore(): Promise<void> {
    await Promise.all([...this.subs.values()].map((s) => this.conn.requestNow(subscribeFrame(s))));
  }

  /** A frame the connection did not match to a request: true if it was the bus's. */
  onFrame(frame: HubFrame): boolean {
    if (frame.t !== FrameType.message) return false;
    const f = frame as MessageFrame;
    if (f.sid === 0) {
      const message = toMessage(f);
      for (const h of this.direct) this.run(h, message, f, undefined);
      return true;
    }
    const sub = this.subs.get(f.sid);
    // Unsubscribed meanwhile: a stored message is not acked, so it goes to someone else.
    if (!sub) return true;
    if (f.ack && f.id !== undefined && sub.handled.has(f.id)) {
      // Handled already, its ack lost (a reconnect): ack again, do not run it twice.
      this.ack(sub, f.id, false);
      return true;
    }
    this.run(sub.handler, toMessage(f), f, sub);
    return true;
  }

  private run(
    handler: MessageHandler,
    message: BusMessage,
    f: MessageFrame,
    sub: Subscription | undefined,
  ): void {
    let out: unknown;
    try {
      out = handler(message);
    } catch (err) {
      this.settle(f, sub, undefined, err as Error);
      return;
    }
    if (out instanceof Promise)
      out.then(
        (v) => this.settle(f, sub, v, undefined),
        (err: Error) => this.settle(f, sub, undefined, err),
      );
    else this.settle(f, sub, out, undefined);
  }

  private settle(
    f: MessageFrame,
    sub: Subscription | undefined,
    value: unknown,
    err: Error | undefined,
  ): void {
    if (f.replyTo !== undefined) {
      const reply: Record<string, unknown> = { t: FrameType.reply, to: f.replyTo };
      if (err)
        reply.error = { code: 'RESPONDER_FAILED', message: String(err.message).slice(0, 4096) };
      else if (value !== undefined) reply.data = value;
      this.conn.send(reply);
    }
    if (sub && f.ack && f.id !== undefined) {
      if (!err) remember(sub.handled, f.id);
      this.ack(sub, f.id, err !== undefined);
    }
    if (err && f.replyTo === undefined) this.reportError(err);
  }

  private ack(sub: Subscription, id: string, nack: boolean): void {
    const frame: Record<string, unknown> = { t: FrameType.msgAck, sid: sub.sid, msgId: id };
    if (nack) frame.nack = true;
    // Not connected: the hub delivers it again after the reconnect, and `handled` acks it.
    this.conn.send(frame);
  }
}

function subscribeFrame(sub: Subscription): { t: string } {
  const frame: Record<string, unknown> = {
    t: FrameType.subscribe,
    sid: sub.sid,
    pattern: sub.pattern,
  };
  if (sub.options.group !== undefined) frame.group = sub.options.group;
  if (sub.options.durable !== undefined) frame.durable = sub.options.durable;
  if (sub.options.maxInFlight !== undefined) frame.maxInFlight = sub.options.maxInFlight;
  return frame as { t: string };
}

function toMessage(f: MessageFrame): BusMessage {
  return {
    topic: f.topic,
    data: f.data,
    id: f.id,
    from: f.from,
    attempt: f.attempt ?? 1,
    priority: f.priority ?? 'normal',
    publishedAt: f.at,
    acked: f.ack === true,
  };
}

function remember(set: Set<string>, id: string): void {
  set.add(id);
  if (set.size > HANDLED_MEMORY) set.delete(set.values().next().value as string);
}
