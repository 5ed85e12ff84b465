import type { BusMessage } from './bus-records.js';
import type { BusState } from './bus-state.js';
import { durableKey, DURABLE_PREFIX } from './bus-state.js';
import type { Wakeups } from './wakeups.js';

/**
 * The bus's durable state as plain data: durable subscriptions with the ids they hold (in
 * flight ones first within their priority, since they were handed out first), the stored
 * messages some durable subscription holds, and the publisher ids inside the dedup window.
 * Plain subscriptions and queue groups without a durable name end with their connections
 * and are not in it.
 */
export interface BusSnapshot {
  consumers: { name: string; pattern: string; owner: string | undefined; ids: string[] }[];
  messages: Omit<BusMessage, 'holders'>[];
  dedup: [string, number][];
}

export function takeBusSnapshot(bus: BusState): BusSnapshot {
  const consumers: BusSnapshot['consumers'] = [];
  const kept = new Set<string>();
  for (const c of bus.consumers.values()) {
    if (!c.durable) continue;
    const ids: string[] = [];
    for (let level = 0; level < 4; level++) {
      for (const id of c.inFlight.keys())
        if (bus.messages.get(id)?.priority === level) ids.push(id);
      for (const id of c.pending[level]!) if (c.waiting.has(id)) ids.push(id);
    }
    for (const id of ids) kept.add(id);
    consumers.push({
      name: c.key.slice(DURABLE_PREFIX.length),
      pattern: c.pattern,
      owner: c.owner,
      ids,
    });
  }
  const messages: BusSnapshot['messages'] = [];
  for (const id of kept) {
    const m = bus.messages.get(id)!;
    messages.push({
      id: m.id,
      topic: m.topic,
      data: m.data,
      priority: m.priority,
      qos: m.qos,
      publishedAt: m.publishedAt,
      expiresAt: m.expiresAt,
      from: m.from,
    });
  }
  return { consumers, messages, dedup: [...bus.dedup] };
}

export function restoreBusSnapshot(
  bus: BusState,
  wakeups: Wakeups,
  snap: BusSnapshot | undefined,
): void {
  if (!snap) return;
  for (const raw of snap.messages) {
    const m: BusMessage = { ...raw, holders: 0 };
    bus.messages.set(m.id, m);
    if (m.expiresAt) wakeups.at(m.expiresAt, { kind: 'bus-ttl', msgId: m.id });
  }
  for (const raw of snap.consumers) {
    const c = bus.consumer(durableKey(raw.name), raw.pattern, true, raw.owner);
    for (const id of raw.ids) {
      const m = bus.messages.get(id);
      if (!m) continue;
      m.holders++;
      c.pending[m.priority].push(id);
      c.waiting.add(id);
    }
  }
  for (const [id, until] of snap.dedup) bus.dedup.set(id, until);
}
