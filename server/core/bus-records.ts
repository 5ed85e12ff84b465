import type { PriorityLevel } from '../../protocol/index.js';
import type { Deque } from './deque.js';

export type Qos = 'at-most-once' | 'at-least-once' | 'exactly-once';

/** A message the bus keeps until every subscription holding it has acked it or it expires. */
export interface BusMessage {
  id: string;
  topic: string;
  data: unknown;
  priority: PriorityLevel;
  qos: Qos;
  publishedAt: number;
  /** 0: never. */
  expiresAt: number;
  /** Who published it (a worker id or a session id), for the subscriber. */
  from: string | undefined;
  /** Subscriptions (consumers) that hold it, pending or in flight. */
  holders: number;
}

/** One subscribe frame of one connection: a member of a consumer. */
export interface BusMember {
  session: string;
  sid: number;
  consumer: BusConsumer;
  /** Stored messages delivered to it and not yet acked. */
  inFlight: number;
  maxInFlight: number;
}

export interface InFlight {
  member: BusMember;
  attempt: number;
}

/**
 * What a subscription pattern feeds: its members take turns (a queue group has several;
 * a plain subscription one). A durable consumer outlives its members: stored messages wait
 * for the next member under its name, across reconnects and restarts.
 */
export interface BusConsumer {
  /** 'd:' + name for durable ones; 'g:' + group + ' ' + pattern; 's:' + session + '/' + sid. */
  key: string;
  pattern: string;
  durable: boolean;
  /** The identity that created a durable consumer: only it (or an admin) may bind to it. */
  owner: string | undefined;
  members: BusMember[];
  /** Round-robin position among members. */
  next: number;
  /** Stored messages waiting, by priority level; ids whose message left `waiting` are skipped. */
  pending: [Deque<string>, Deque<string>, Deque<string>, Deque<string>];
  /** Ids pending (in a deque and not taken back), for O(1) ack and expiry. */
  waiting: Set<string>;
  inFlight: Map<string, InFlight>;
  /** Deliveries per message so far, for `attempt` (redeliveries count up). */
  attempts: Map<string, number>;
}
