import { ErrorCode, Priority, type PriorityLevel } from '../../protocol/index.js';
import { fail, OK, type CommandResult } from './command-result.js';
import type {
  BusAckCommand,
  BusAckedCommand,
  BusConsumerCreateCommand,
  BusConsumerDeleteCommand,
  BusEmitCommand,
  BusExpireCommand,
  BusPublishCommand,
  BusSubscribeCommand,
  BusUnsubscribeCommand,
} from './commands.js';
import type { CoreState } from './core-state.js';
import type { BusConsumer, BusMember, BusMessage } from './bus-records.js';
import { BusState, durableKey } from './bus-state.js';

/**
 * The message bus's rules: subscriptions (plain, queue groups, durable), publishing with
 * one of three guarantees, delivery in priority order to members with room, acks,
 * redelivery and expiry. Stored messages (at-least-once, exactly-once) and durable
 * subscriptions are durable state: their commands are journaled and replayed like tasks'.
 * Deliveries are not: after a restart every stored message not acked is pending again.
 */

const LEVELS: readonly PriorityLevel[] = [
  Priority.critical,
  Priority.high,
  Priority.normal,
  Priority.low,
];

export function subscribe(s: CoreState, cmd: BusSubscribeCommand): CommandResult {
  const bus = s.bus;
  const mkey = BusState.memberKey(cmd.session, cmd.sid);
  if (bus.members.has(mkey))
    return fail(
      ErrorCode.SUBSCRIPTION_EXISTS,
      `subscription ${cmd.sid} is already in use on this connection`,
    );
  let consumer: BusConsumer;
  if (cmd.durable !== undefined) {
    const key = durableKey(cmd.durable);
    const existing = bus.consumers.get(key);
    if (existing) {
      if (existing.pattern !== cmd.pattern)
        return fail(
          ErrorCode.SUBSCRIPTION_EXISTS,
          `durable subscription "${cmd.durable}" follows "${existing.pattern}", not "${cmd.pattern}": use another name, or delete it first`,
        );
      if (!cmd.admin && existing.owner !== undefined && existing.owner !== cmd.identity)
        return fail(
          ErrorCode.FORBIDDEN,
          `durable subscription "${cmd.durable}" belongs to another identity`,
        );
      // Without a group a durable subscription has one member: a new one (the same client
      // after a reconnect the hub has not noticed yet) takes over, and what the old one
      // held is delivered again.
      if (cmd.group === undefined)
        for (const m of [...existing.members]) removeMember(s, m, cmd.now);
      consumer = existing;
    } else {
      const create: BusConsumerCreateCommand = {
        type: 'bus.consumer.create',
        now: cmd.now,
        name: cmd.durable,
        pattern: cmd.pattern,
        ...(cmd.identity === undefined ? {} : { owner: cmd.identity }),
      };
      s.journal(create);
      consumer = createConsumer(s, create);
    }
  } else if (cmd.group !== undefined) {
    consumer = bus.consumer(`g:${cmd.group} ${cmd.pattern}`, cmd.pattern, false);
  } else {
    consumer = bus.consumer(`s:${mkey}`, cmd.pattern, false);
  }
  const member: BusMember = {
    session: cmd.session,
    sid: cmd.sid,
    consumer,
    inFlight: 0,
    maxInFlight: cmd.maxInFlight,
  };
  consumer.members.push(member);
  bus.members.set(mkey, member);
  let mine = bus.bySession.get(cmd.session);
  if (!mine) bus.bySession.set(cmd.session, (mine = new Set()));
  mine.add(member);
  dispatch(s, consumer, cmd.now);
  return OK;
}

export function createConsumer(s: CoreState, cmd: BusConsumerCreateCommand): BusConsumer {
  return s.bus.consumer(durableKey(cmd.name), cmd.pattern, true, cmd.owner);
}

export function unsubscribe(s: CoreState, cmd: BusUnsubscribeCommand): CommandResult {
  const member = s.bus.members.get(BusState.memberKey(cmd.session, cmd.sid));
  if (!member)
    return fail(ErrorCode.SUBSCRIPTION_NOT_FOUND, `no subscription ${cmd.sid} on this connection`);
  const consumer = member.consumer;
  if (cmd.forget && consumer.durable) {
    if (!cmd.admin && consumer.owner !== undefined && consumer.owner !== cmd.identity)
      return fail(ErrorCode.FORBIDDEN, 'this durable subscription belongs to another identity');
    const del: BusConsumerDeleteCommand = {
      type: 'bus.consumer.delete',
      now: cmd.now,
      name: consumer.key.slice(2),
    };
    s.journal(del);
    return deleteConsumer(s, del);
  }
  removeMember(s, member, cmd.now);
  return OK;
}

export function deleteConsumer(s: CoreState, cmd: BusConsumerDeleteCommand): CommandResult {
  const consumer = s.bus.consumers.get(durableKey(cmd.name));
  if (!consumer || !consumer.durable)
    return fail(ErrorCode.SUBSCRIPTION_NOT_FOUND, `no durable subscription "${cmd.name}"`);
  for (const m of [...consumer.members]) detach(s, m);
  s.bus.dropConsumer(consumer);
  return OK;
}

/** A connection closed: its subscriptions end; what they held in flight is delivered again. */
export function sessionClosed(s: CoreState, session: string, now: number): CommandResult {
  const mine = s.bus.bySession.get(session);
  if (!mine) return OK;
  for (const m of [...mine]) removeMember(s, m, now);
  return OK;
}

function detach(s: CoreState, member: BusMember): void {
  const consumer = member.consumer;
  const i = consumer.members.indexOf(member);
  if (i >= 0) consumer.members.splice(i, 1);
  s.bus.members.delete(BusState.memberKey(member.session, member.sid));
  const mine = s.bus.bySession.get(member.session);
  mine?.delete(member);
  if (mine?.size === 0) s.bus.bySession.delete(member.session);
}

function removeMember(s: CoreState, member: BusMember, now: number): void {
  detach(s, member);
  const consumer = member.consumer;
  // Back to the front, oldest first, for the remaining members or the next one.
  const back: string[] = [];
  for (const [id, f] of consumer.inFlight) if (f.member === member) back.push(id);
  for (let k = back.length - 1; k >= 0; k--) requeue(s, consumer, back[k]!);
  if (!consumer.durable && consumer.members.length === 0) s.bus.dropConsumer(consumer);
  else dispatch(s, consumer, now);
}

function requeue(s: CoreState, consumer: BusConsumer, id: string): void {
  const f = consumer.inFlight.get(id);
  if (!f) return;
  consumer.inFlight.delete(id);
  f.member.inFlight--;
  const m = s.bus.messages.get(id);
  if (!m) return;
  consumer.pending[m.priority].unshift(id);
  consumer.waiting.add(id);
}

/** at-most-once messages and requests: to members connected now, never stored. */
export function emit(s: CoreState, cmd: BusEmitCommand): CommandResult {
  const matched = s.bus.index.match(cmd.topic, new Set());
  let deliveries = 0;
  for (const c of matched) {
    const member = pickMember(c, false);
    if (!member) continue;
    deliveries++;
    s.emit({
      type: 'bus.deliver',
      session: member.session,
      sid: member.sid,
      qos: 'at-most-once',
      id: cmd.id,
      topic: cmd.topic,
      data: cmd.data,
      priority: cmd.priority,
      from: cmd.from,
      publishedAt: cmd.now,
      attempt: 1,
      replyTo: cmd.replyTo,
    });
  }
  if (cmd.replyTo !== undefined && deliveries === 0)
    return fail(ErrorCode.NO_RESPONDERS, `nobody subscribes to "${cmd.topic}"`);
  return { ok: true, count: deliveries };
}

/** at-least-once and exactly-once: stored for every matching subscription, then delivered. */
export function publish(s: CoreState, cmd: BusPublishCommand): CommandResult {
  const bus = s.bus;
  const msg = cmd.message;
  if (cmd.dedup) {
    const until = bus.dedup.get(msg.id);
    if (until !== undefined && until > cmd.now) return { ok: true, count: 0, duplicates: [0] };
  }
  if (bus.messages.has(msg.id)) return { ok: true, count: 0, duplicates: [0] };
  const matched = bus.index.match(msg.topic, new Set());
  for (const c of matched) {
    if (c.waiting.size + c.inFlight.size >= s.options.busMaxPending)
      return fail(
        ErrorCode.SUBSCRIPTION_FULL,
        `subscription "${c.pattern}" already holds ${s.options.busMaxPending} messages it has not acked; nothing was published`,
      );
  }
  if (cmd.dedup) bus.dedup.set(msg.id, cmd.now + s.options.busDedupWindowMs);
  if (matched.size === 0) return { ok: true, count: 0 };
  const message: BusMessage = {
    id: msg.id,
    topic: msg.topic,
    data: msg.data,
    priority: msg.priority,
    qos: msg.qos,
    publishedAt: cmd.now,
    expiresAt: msg.ttlMs ? cmd.now + msg.ttlMs : 0,
    from: msg.from,
    holders: matched.size,
  };
  bus.messages.set(message.id, message);
  if (message.expiresAt) s.wakeups.at(message.expiresAt, { kind: 'bus-ttl', msgId: message.id });
  for (const c of matched) {
    c.pending[message.priority].push(message.id);
    c.waiting.add(message.id);
    dispatch(s, c, cmd.now);
  }
  return { ok: true, count: matched.size };
}

export function ack(s: CoreState, cmd: BusAckCommand): CommandResult {
  const member = s.bus.members.get(BusState.memberKey(cmd.session, cmd.sid));
  if (!member)
    return fail(ErrorCode.SUBSCRIPTION_NOT_FOUND, `no subscription ${cmd.sid} on this connection`);
  const consumer = member.consumer;
  const f = consumer.inFlight.get(cmd.msgId);
  // Already acked, expired, or given to another member after a redelivery: nothing to do.
  if (!f || f.member !== member) return OK;
  if (cmd.nack) {
    requeue(s, consumer, cmd.msgId);
    dispatch(s, consumer, cmd.now);
    return OK;
  }
  const acked: BusAckedCommand = {
    type: 'bus.acked',
    now: cmd.now,
    consumer: consumer.key,
    msgId: cmd.msgId,
  };
  if (consumer.durable) s.journal(acked);
  return applyAcked(s, acked);
}

/** An ack as journaled (replay) or just made: the consumer no longer holds the message. */
export function applyAcked(s: CoreState, cmd: BusAckedCommand): CommandResult {
  const consumer = s.bus.consumers.get(cmd.consumer);
  if (!consumer) return OK;
  const f = consumer.inFlight.get(cmd.msgId);
  if (f) {
    consumer.inFlight.delete(cmd.msgId);
    f.member.inFlight--;
  } else if (!consumer.waiting.delete(cmd.msgId)) return OK;
  consumer.attempts.delete(cmd.msgId);
  s.bus.release(cmd.msgId);
  dispatch(s, consumer, cmd.now);
  return OK;
}

/** A stored message's TTL ran out: every subscription still waiting for it lets it go. */
export function expireMessage(s: CoreState, cmd: BusExpireCommand): CommandResult {
  const message = s.bus.messages.get(cmd.msgId);
  if (!message) return OK;
  for (const c of s.bus.consumers.values()) {
    if (!c.waiting.delete(cmd.msgId)) continue;
    c.attempts.delete(cmd.msgId);
    s.emit({ type: 'bus.expired', message, subscription: c.pattern });
    s.bus.release(cmd.msgId);
  }
  return OK;
}

/** Called by tick for the bus's wakeups. */
export function busWakeup(
  s: CoreState,
  now: number,
  w:
    | { kind: 'bus-ttl'; msgId: string }
    | { kind: 'bus-ack'; consumer: string; msgId: string; attempt: number },
): void {
  if (w.kind === 'bus-ttl') {
    const m = s.bus.messages.get(w.msgId);
    if (!m || m.expiresAt === 0 || m.expiresAt > now) return;
    const cmd: BusExpireCommand = { type: 'bus.expire', now, msgId: w.msgId };
    s.journal(cmd);
    expireMessage(s, cmd);
    return;
  }
  const c = s.bus.consumers.get(w.consumer);
  const f = c?.inFlight.get(w.msgId);
  if (!c || !f || f.attempt !== w.attempt) return;
  // Not acked within the ack wait: the member is stuck or gone without a close.
  requeue(s, c, w.msgId);
  dispatch(s, c, now);
}

/** Dedup entries past the window go; run with gc. */
export function busGc(s: CoreState, now: number): void {
  for (const [id, until] of s.bus.dedup) if (until <= now) s.bus.dedup.delete(id);
}

function pickMember(c: BusConsumer, needRoom: boolean): BusMember | undefined {
  const members = c.members;
  const n = members.length;
  for (let k = 0; k < n; k++) {
    const i = (c.next + k) % n;
    const m = members[i]!;
    if (needRoom && m.inFlight >= m.maxInFlight) continue;
    c.next = (i + 1) % n;
    return m;
  }
  return undefined;
}

/** Hand waiting messages, highest priority first, to members with room. */
export function dispatch(s: CoreState, c: BusConsumer, now: number): void {
  while (c.waiting.size > 0) {
    const member = pickMember(c, true);
    if (!member) return;
    let id: string | undefined;
    for (const level of LEVELS) {
      const q = c.pending[level];
      while (q.length > 0) {
        const next = q.shift()!;
        if (c.waiting.delete(next)) {
          id = next;
          break;
        }
      }
      if (id !== undefined) break;
    }
    if (id === undefined) return;
    const message = s.bus.messages.get(id);
    if (!message) continue;
    // Expiry is the TTL wakeup's (journaled), so that replay expires exactly what ran out.
    const attempt = (c.attempts.get(id) ?? 0) + 1;
    c.attempts.set(id, attempt);
    c.inFlight.set(id, { member, attempt });
    member.inFlight++;
    s.wakeups.at(now + s.options.busAckWaitMs, {
      kind: 'bus-ack',
      consumer: c.key,
      msgId: id,
      attempt,
    });
    s.emit({
      type: 'bus.deliver',
      session: member.session,
      sid: member.sid,
      qos: message.qos,
      id: message.id,
      topic: message.topic,
      data: message.data,
      priority: message.priority,
      from: message.from,
      publishedAt: message.publishedAt,
      attempt,
      replyTo: undefined,
    });
  }
}
