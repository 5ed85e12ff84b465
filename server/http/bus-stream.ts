import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, priorityName } from '../../protocol/index.js';
import type { Grant } from '../auth/index.js';
import type { Caller } from '../gateway/caller.js';
import { OperationError } from '../gateway/operation-error.js';
import type { BusDelivery, BusSink } from '../hub/bus-routing.js';
import type { Hub } from '../hub/hub.js';

/** What an SSE subscriber asked for (`GET /api/v1/messages/stream`). */
export interface BusStreamSpec {
  pattern: string;
  group?: string | undefined;
  durable?: string | undefined;
  maxInFlight: number;
}

export interface BusStreamTiming {
  /** A comment line this often, so proxies and clients see a live connection. */
  keepaliveMs: number;
  /**
   * A stored message unconfirmed this long ends the connection, so that the client confirms
   * it by reconnecting. Must stay below the bus's ack wait (30 s), past which the core would
   * deliver it again on the same, live stream.
   */
  confirmAfterMs: number;
  /** How long a stream whose connection ended waits for the client to reconnect and resume it. */
  resumeGraceMs: number;
}

/** The one subscription of a stream's bus session. */
const SID = 1;
/** An id no message has (ids are 1 character or more). */
const NO_MESSAGE = '';
/** The `retry:` a client gets with the end of a connection the hub closed to have its messages confirmed. */
const CONFIRM_RETRY_MS = 100;
/** The `retry:` for every other reconnect (the hub went away, the network failed). */
const RETRY_MS = 2000;

/**
 * One SSE subscriber of the message bus: a bus session of its own (`sse-<random>`) that the
 * hub delivers to as it does to a WebSocket, and that outlives each HTTP connection of the
 * client by `resumeGraceMs`, so that a reconnect resumes it.
 *
 * Acks: SSE has no way back from the client but the reconnect, whose `Last-Event-ID` says
 * which message it had last. So a stored message stays in flight (unacked) until the client
 * confirms it that way: a reconnect naming X acks every stored message this stream sent up
 * to and including X, in the order they went out, and delivers the rest again. So that a
 * live stream neither stalls at `maxInFlight` nor waits for the ack wait's redelivery, the
 * hub itself ends the connection (with `retry: 100`) once `maxInFlight` messages are
 * unconfirmed, or the oldest has waited `confirmAfterMs`; an EventSource reconnects at once
 * with its last id. Nothing is acked that the client has not said it has: at-least-once.
 */
export class BusStream implements BusSink {
  readonly id = `sse-${randomBytes(12).toString('base64url')}`;
  private caller: Caller;
  /** Stored messages handed to this stream and not confirmed, in the order they went out; true: written to a connection. */
  private readonly unconfirmed = new Map<string, boolean>();
  /** The last message a reconnect confirmed: the client may name it again. */
  private lastConfirmed: string | undefined;
  /**
   * A message the client says it has though this stream never sent it (it resumed from an id
   * after the hub restarted): acked when it comes, not sent again.
   */
  private known: string | undefined;
  private res: ServerResponse | undefined;
  /** What was delivered before the connection's head went out (subscribing delivers at once). */
  private early: string[] | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private confirmTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private ended = false;
  private corked = false;

  constructor(
    private readonly hub: Hub,
    grant: Grant,
    readonly spec: BusStreamSpec,
    private readonly timing: BusStreamTiming,
    private readonly onEnd: (stream: BusStream) => void,
  ) {
    this.caller = { grant, session: this.id };
  }

  /** Streams a reconnect may resume: the same token holder, scope and subscription. */
  static key(grant: Grant, spec: BusStreamSpec): string {
    return JSON.stringify([
      grant.role,
      grant.identity,
      grant.topics ?? null,
      spec.pattern,
      spec.group ?? null,
      spec.durable ?? null,
    ]);
  }

  /** Whether a reconnect naming `lastEventId` is this stream's client coming back. */
  resumableFrom(lastEventId: string): boolean {
    if (this.ended || this.res !== undefined) return false;
    return this.unconfirmed.get(lastEventId) === true || this.lastConfirmed === lastEventId;
  }

  /**
   * Subscribe this stream's bus session. Deliveries are held until `connect`. Throws the
   * gateway's refusal, and then nothing of the stream is left.
   */
  subscribe(lastEventId: string | undefined): void {
    this.known = lastEventId;
    this.early = [];
    this.hub.attachBusSink(this.id, this);
    try {
      this.hub.gateway.bus.subscribe(this.caller, {
        sid: SID,
        pattern: this.spec.pattern,
        ...(this.spec.group === undefined ? {} : { group: this.spec.group }),
        ...(this.spec.durable === undefined ? {} : { durable: this.spec.durable }),
        maxInFlight: this.spec.maxInFlight,
      });
    } catch (err) {
      this.early = undefined;
      this.hub.detachBusSink(this.id);
      this.ended = true;
      throw err;
    }
  }

  /**
   * The client is back, having everything up to `lastEventId`: ack that, deliver the rest of
   * what this stream held again (held until `connect`). False when the subscription is gone
   * (a durable one taken over by another subscriber): end this stream, start another.
   */
  resume(grant: Grant, lastEventId: string): boolean {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.caller = { grant, session: this.id };
    this.early = [];
    const confirmed: string[] = [];
    if (this.unconfirmed.get(lastEventId) === true)
      for (const id of this.unconfirmed.keys()) {
        confirmed.push(id);
        if (id === lastEventId) break;
      }
    const again = [...this.unconfirmed.keys()].slice(confirmed.length);
    this.unconfirmed.clear();
    const bus = this.hub.gateway.bus;
    try {
      // With nothing to ack, an ack of no message still says whether the subscription is there.
      if (confirmed.length === 0 && again.length === 0)
        bus.ack(this.caller, SID, NO_MESSAGE, false);
      for (const id of confirmed) bus.ack(this.caller, SID, id, false);
      // A nack puts the message back at the front and hands it out again at once, to this
      // session (the only member with room, unless a queue group has others).
      for (const id of again) bus.ack(this.caller, SID, id, true);
    } catch (err) {
      if (!(err instanceof OperationError)) throw err;
      this.early = undefined;
      return false;
    }
    if (confirmed.length > 0) this.lastConfirmed = lastEventId;
    return true;
  }

  /** Answer the request with the stream, and write what was held for it. */
  connect(req: IncomingMessage, res: ServerResponse, resumed: boolean): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.res = res;
    const hello = { stream: this.id, resumed };
    res.write(`retry: ${RETRY_MS}\nevent: subscribed\ndata: ${JSON.stringify(hello)}\n\n`);
    const early = this.early ?? [];
    this.early = undefined;
    for (const chunk of early) res.write(chunk);
    this.keepalive = setInterval(() => {
      if (!res.writableEnded) res.write(': keepalive\n\n');
    }, this.timing.keepaliveMs);
    this.keepalive.unref();
    const closed = (): void => this.disconnected(res);
    req.on('close', closed);
    res.on('error', closed);
    res.on('close', closed);
    if (this.hub.authEnabled) this.hub.liveGrants.add(this.id, this.caller.grant, () => this.end());
    this.checkConfirm();
  }

  // BusSink: how the hub hands this session its messages.

  pendingBytes(): number {
    return this.res?.writableLength ?? 0;
  }

  write(d: BusDelivery): boolean {
    if (this.ended) return false;
    const stored = d.qos !== 'at-most-once';
    if (d.replyTo !== undefined) {
      // A stream has no way to send a reply: the requester learns that now, not at its timeout.
      const replyTo = d.replyTo;
      queueMicrotask(() =>
        this.hub.gateway.bus.reply(this.caller, replyTo, undefined, {
          code: ErrorCode.RESPONDER_FAILED,
          message: `the subscriber ${this.id} is a Server-Sent Events stream: it cannot answer requests`,
        }),
      );
      return true;
    }
    if (stored && d.id !== undefined && d.id === this.known) {
      this.known = undefined;
      // Not inside the core's command: this runs while it hands out the message.
      const id = d.id;
      queueMicrotask(() => this.ackQuietly(id));
      return true;
    }
    // A connection the hub has ended (to have it confirm) takes nothing more, though its
    // last bytes may still be on their way to a slow reader.
    const res = this.res !== undefined && !this.res.writableEnded ? this.res : undefined;
    if (stored) {
      this.unconfirmed.delete(d.id!);
      this.unconfirmed.set(d.id!, res !== undefined || this.early !== undefined);
    }
    const chunk = res || this.early ? sseMessage(d, stored) : undefined;
    if (chunk === undefined) return false;
    if (res) this.send(res, chunk);
    else this.early!.push(chunk);
    if (stored && res) this.checkConfirm();
    return true;
  }

  /** Messages of one event-loop turn go out in one write (one syscall, not one per message). */
  private send(res: ServerResponse, chunk: string): void {
    if (!this.corked) {
      this.corked = true;
      res.cork();
      setImmediate(() => {
        this.corked = false;
        res.uncork();
      });
    }
    res.write(chunk);
  }

  /** End the connection for a confirmation when the window is full or its oldest waited long enough. */
  private checkConfirm(): void {
    if (!this.res || this.unconfirmed.size === 0) return;
    if (this.unconfirmed.size >= this.spec.maxInFlight) {
      this.askToConfirm();
      return;
    }
    if (this.confirmTimer === undefined) {
      this.confirmTimer = setTimeout(() => this.askToConfirm(), this.timing.confirmAfterMs);
      this.confirmTimer.unref();
    }
  }

  private askToConfirm(): void {
    const res = this.res;
    if (!res || res.writableEnded) return;
    clearInterval(this.keepalive);
    res.end(`retry: ${CONFIRM_RETRY_MS}\n: reconnect with Last-Event-ID to confirm\n\n`);
  }

  private disconnected(res: ServerResponse): void {
    if (this.res !== res) return;
    this.res = undefined;
    clearInterval(this.keepalive);
    clearTimeout(this.confirmTimer);
    this.keepalive = this.confirmTimer = undefined;
    this.hub.liveGrants.remove(this.id);
    if (!res.writableEnded) res.end();
    if (this.ended) return;
    this.graceTimer = setTimeout(() => this.end(), this.timing.resumeGraceMs);
    this.graceTimer.unref();
  }

  /** The stream is over: its subscription ends, what it held unconfirmed is delivered again. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.graceTimer);
    this.res?.end();
    this.hub.liveGrants.remove(this.id);
    // A stopped hub's store is closed; its sessions are gone with it.
    if (this.hub.phase !== 'stopped') this.hub.gateway.bus.sessionClosed(this.id);
    this.hub.detachBusSink(this.id);
    this.onEnd(this);
  }

  private ackQuietly(id: string): void {
    if (this.ended) return;
    try {
      this.hub.gateway.bus.ack(this.caller, SID, id, false);
    } catch (err) {
      if (!(err instanceof OperationError)) throw err;
    }
  }
}

/** One message as an SSE event. Only stored messages have an `id:`: that is what a reconnect confirms. */
function sseMessage(d: BusDelivery, stored: boolean): string {
  const body = {
    topic: d.topic,
    data: d.data,
    id: d.id ?? null,
    from: d.from ?? null,
    attempt: d.attempt,
    priority: priorityName(d.priority),
    publishedAt: d.publishedAt,
    qos: d.qos,
  };
  const json = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return `${stored ? `id: ${d.id}\n` : ''}event: message\ndata: ${json}\n\n`;
}
