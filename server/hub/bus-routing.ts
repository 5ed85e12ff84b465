import { randomBytes } from 'node:crypto';
import { FrameType, priorityName, type MessageFrame } from '../../protocol/index.js';
import type { HubEvent } from '../core/index.js';
import type { SessionTable } from './session-table.js';

/** One message for one subscription of one session, as the core hands it out. */
export type BusDelivery = Extract<HubEvent, { type: 'bus.deliver' }>;

/**
 * A bus session that is not a WebSocket (an SSE stream of the HTTP port): the hub hands it
 * the deliveries for its session id. It says how far behind its connection is, and whether
 * it took a message (false: it has no connection right now).
 */
export interface BusSink {
  pendingBytes(): number;
  write(delivery: BusDelivery): boolean;
}

interface PendingRequest {
  session: string;
  reqId: number;
  timer: NodeJS.Timeout;
}

/** Requests one connection may have waiting for a reply at once. */
export const MAX_WAITING_REQUESTS = 1000;

/** Bytes a connection may have waiting in its socket before at-most-once messages to it are dropped. */
export const SLOW_SUBSCRIBER_BYTES = 1024 * 1024;

/**
 * The connection side of the message bus: deliveries to sessions (at-most-once ones
 * dropped, and counted, for a connection that does not keep up), direct messages, and the
 * requests waiting for their first reply. What a message is and who gets it is the core's.
 */
export class BusRouting {
  private readonly requests = new Map<string, PendingRequest>();
  private readonly waitingBySession = new Map<string, number>();
  private readonly sinks = new Map<string, BusSink>();

  constructor(
    private readonly sessions: SessionTable,
    private readonly counters: {
      delivered: { inc(n?: number): void };
      dropped: { inc(n?: number): void };
    },
  ) {}

  /** Deliveries for `sessionId`, a session that is not a WebSocket, go to `sink`. */
  attachSink(sessionId: string, sink: BusSink): void {
    this.sinks.set(sessionId, sink);
  }

  detachSink(sessionId: string): void {
    this.sinks.delete(sessionId);
  }

  deliver(event: BusDelivery): void {
    const session = this.sessions.get(event.session);
    const stored = event.qos !== 'at-most-once';
    if (!session) {
      const sink = this.sinks.get(event.session);
      if (sink) this.toSink(sink, event, stored);
      return;
    }
    // Stored messages are bounded by the subscription's maxInFlight; the others are not
    // buffered for a connection that is behind: it misses them.
    if (!stored && session.pendingBytes() > SLOW_SUBSCRIBER_BYTES) {
      this.counters.dropped.inc();
      return;
    }
    const frame = {
      t: FrameType.message,
      sid: event.sid,
      topic: event.topic,
      data: event.data,
    } as MessageFrame;
    if (event.id !== undefined) frame.id = event.id;
    if (stored) frame.ack = true;
    if (event.attempt > 1) frame.attempt = event.attempt;
    if (event.priority !== 2) frame.priority = priorityName(event.priority);
    if (event.from !== undefined) frame.from = event.from;
    if (event.replyTo !== undefined) frame.replyTo = event.replyTo;
    // Last: the encoder rewrites a trailing time in place as int64 (integer-times.ts).
    frame.at = event.publishedAt;
    session.send(frame);
    this.counters.delivered.inc();
  }

  /** The same rule as for a WebSocket: at-most-once messages to a sink that is behind are dropped. */
  private toSink(sink: BusSink, event: BusDelivery, stored: boolean): void {
    if (!stored && sink.pendingBytes() > SLOW_SUBSCRIBER_BYTES) {
      this.counters.dropped.inc();
      return;
    }
    // A stored message a sink cannot take now stays in flight for it (the core redelivers
    // it); an at-most-once one is missed.
    if (sink.write(event)) this.counters.delivered.inc();
    else if (!stored) this.counters.dropped.inc();
  }

  /** A direct message: to the connection a worker id is bound to, or a session id. */
  sendDirect(to: string, from: string, data: unknown): boolean {
    const session = this.sessions.worker(to) ?? this.sessions.get(to);
    if (!session || session.conn.closed) return false;
    session.send({ t: FrameType.message, sid: 0, topic: '_direct', data, from, at: Date.now() });
    this.counters.delivered.inc();
    return true;
  }

  openRequest(session: string, reqId: number, timeoutMs: number): string | undefined {
    const waiting = this.waitingBySession.get(session) ?? 0;
    if (waiting >= MAX_WAITING_REQUESTS) return undefined;
    this.waitingBySession.set(session, waiting + 1);
    // Unguessable: only those the request was delivered to can answer it.
    const replyTo = '_reply.' + randomBytes(12).toString('base64url');
    const timer = setTimeout(() => this.closeRequest(replyTo), timeoutMs + 1000);
    timer.unref();
    this.requests.set(replyTo, { session, reqId, timer });
    return replyTo;
  }

  closeRequest(replyTo: string): void {
    const r = this.requests.get(replyTo);
    if (!r) return;
    clearTimeout(r.timer);
    this.requests.delete(replyTo);
    const left = (this.waitingBySession.get(r.session) ?? 1) - 1;
    if (left > 0) this.waitingBySession.set(r.session, left);
    else this.waitingBySession.delete(r.session);
  }

  /** The first reply wins; later ones, and replies to a requester gone, are dropped. */
  reply(
    replyTo: string,
    data: unknown,
    error?: { code: string; message: string },
    from?: string,
  ): boolean {
    const r = this.requests.get(replyTo);
    if (!r) return false;
    this.closeRequest(replyTo);
    const session = this.sessions.get(r.session);
    if (!session) return false;
    if (error) session.sendError(error.code, error.message, r.reqId);
    else
      session.send({
        t: FrameType.response,
        id: r.reqId,
        data,
        ...(from === undefined ? {} : { from }),
      });
    return true;
  }

  get waitingRequests(): number {
    return this.requests.size;
  }
}
