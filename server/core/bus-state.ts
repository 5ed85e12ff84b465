import { isSystemSubject } from '../../protocol/index.js';
import { Deque } from './deque.js';
import type { BusConsumer, BusMember, BusMessage } from './bus-records.js';
import { SubjectIndex } from './subject-index.js';

/** The message bus's part of the core state (rules in bus-rules.ts). */
export class BusState {
  /** Stored messages (at-least-once, exactly-once) still held by some consumer. */
  readonly messages = new Map<string, BusMessage>();
  readonly consumers = new Map<string, BusConsumer>();
  /** Consumers by pattern, for matching a topic. */
  readonly index = new SubjectIndex<BusConsumer>();
  /** session + '/' + sid -> member. */
  readonly members = new Map<string, BusMember>();
  /** Publisher message ids seen within the dedup window -> when they leave it. */
  readonly dedup = new Map<string, number>();
  /** Members per session, for a closed connection. */
  readonly bySession = new Map<string, Set<BusMember>>();
  /** Consumers of `$sys` topics: while there are none the hub publishes none of its events. */
  systemConsumers = 0;

  consumer(key: string, pattern: string, durable: boolean, owner?: string): BusConsumer {
    let c = this.consumers.get(key);
    if (!c) {
      c = {
        key,
        pattern,
        durable,
        owner,
        members: [],
        next: 0,
        pending: [new Deque(), new Deque(), new Deque(), new Deque()],
        waiting: new Set(),
        inFlight: new Map(),
        attempts: new Map(),
      };
      this.consumers.set(key, c);
      this.index.add(pattern, c);
      if (isSystemSubject(pattern)) this.systemConsumers++;
    }
    return c;
  }

  /** Forget a consumer and what only it held. */
  dropConsumer(c: BusConsumer): void {
    if (!this.consumers.delete(c.key)) return;
    this.index.remove(c.pattern, c);
    if (isSystemSubject(c.pattern)) this.systemConsumers--;
    for (const id of c.waiting) this.release(id);
    for (const id of c.inFlight.keys()) this.release(id);
    c.waiting.clear();
    c.inFlight.clear();
  }

  /** One holder fewer; the message goes when none is left. */
  release(id: string): void {
    const m = this.messages.get(id);
    if (m && --m.holders <= 0) this.messages.delete(id);
  }

  static memberKey(session: string, sid: number): string {
    return session + '/' + sid;
  }
}

export const DURABLE_PREFIX = 'd:';

export function durableKey(name: string): string {
  return DURABLE_PREFIX + name;
}
