import { parentPort } from 'node:worker_threads';
import type { Redis, RedisOptions } from 'ioredis';
import { connectRedis } from './redis-connection.js';
import { RENEW, runScript } from './redis-scripts.js';
import { LeaseSlot, type LeaseThreadReply, type LeaseThreadRequest } from './redis-lease-slot.js';

/**
 * Lease renewal thread. The leader's main thread can be busy for longer than a lease: a
 * recovery that decodes a large snapshot, a burst of work on a starved machine, a long GC.
 * Renewals made here do not wait for it, so such a leader keeps its lease instead of losing
 * it half-way through recovering and handing the cluster to a successor that then does the
 * same. A hung main thread must still be replaced, so renewals stop once the main thread
 * has not stamped its slot for `stallMs`. A stopped process (SIGSTOP) stops this thread too.
 */

interface Held {
  slot: LeaseSlot;
  timer: NodeJS.Timeout;
  renewing: boolean;
  stalled: boolean;
}

const connections = new Map<string, Redis>();
const held = new Map<number, Held>();

function connectionFor(target: string | RedisOptions): Redis {
  const key = typeof target === 'string' ? target : JSON.stringify(target);
  let redis = connections.get(key);
  if (!redis) {
    // A renewal that waits is worth nothing: fail fast, the next tick tries again.
    redis = connectRedis(target, `switchboard:lease-renewal:${process.pid}`, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      autoResendUnfulfilledCommands: false,
      lazyConnect: false,
      retryStrategy: (n: number) => Math.min(50 * n, 500),
    });
    redis.on('error', () => {});
    connections.set(key, redis);
  }
  return redis;
}

function post(reply: LeaseThreadReply): void {
  parentPort!.postMessage(reply);
}

function hold(msg: Extract<LeaseThreadRequest, { type: 'hold' }>): void {
  const redis = connectionFor(msg.target);
  const slot = new LeaseSlot(msg.buffer);
  const h: Held = { slot, renewing: false, stalled: false, timer: undefined as never };
  const tick = (): void => {
    if (h.renewing || slot.lost) return;
    const now = LeaseSlot.now();
    if (now >= slot.deadline) return; // the main thread judges it lost
    if (now - slot.mainStamp > msg.stallMs) {
      if (!h.stalled) post({ type: 'stalled', id: msg.id, ms: Math.round(now - slot.mainStamp) });
      h.stalled = true;
      return;
    }
    h.stalled = false;
    h.renewing = true;
    runScript(
      redis,
      RENEW,
      [msg.keys.lease, msg.keys.epoch],
      [msg.hubId, msg.epoch, msg.ttlMs],
    ).then(
      (reply) => {
        h.renewing = false;
        if (!held.has(msg.id)) return;
        if (reply !== 1) {
          slot.markRefused();
          post({ type: 'refused', id: msg.id });
          return;
        }
        slot.extend(now + msg.ttlMs);
      },
      () => {
        // Unreachable or an error reply: the deadline decides, the next tick tries again.
        h.renewing = false;
      },
    );
  };
  h.timer = setInterval(tick, Math.max(1, Math.floor(msg.ttlMs / 3)));
  held.set(msg.id, h);
  tick();
}

function drop(id: number): void {
  const h = held.get(id);
  if (!h) return;
  clearInterval(h.timer);
  held.delete(id);
}

parentPort!.on('message', (msg: LeaseThreadRequest) => {
  if (msg.type === 'hold') hold(msg);
  else if (msg.type === 'connect') connectionFor(msg.target);
  else if (msg.type === 'drop') drop(msg.id);
  else {
    for (const id of [...held.keys()]) drop(id);
    for (const redis of connections.values()) redis.disconnect();
    connections.clear();
    parentPort!.close();
  }
});
post({ type: 'ready' });
