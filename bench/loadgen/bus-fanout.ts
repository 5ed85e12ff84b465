import { Redis } from 'ioredis';
import { connect, type NatsConnection } from 'nats';
import { Producer } from '../../client/index.js';
import { childMain, SkipError } from '../lib/child-main.js';
import { probeTcp } from '../lib/net.js';
import { NATS, REDIS } from '../lib/peers.js';
import { quantile } from '../lib/stats.js';

export type FanoutSystem = 'switchboard' | 'nats' | 'redis';

interface Params {
  system: FanoutSystem;
  /** The hub (switchboard only). */
  peer?: { url: string };
  subscribers: number;
  /**
   * throughput: publish `messages` as fast as the system takes them, `window` in flight;
   * latency: publish at `rate` messages per second for `durationMs`.
   */
  mode: 'throughput' | 'latency';
  messages: number;
  window: number;
  rate: number;
  durationMs: number;
  /** Latency mode: published at the rate first and not recorded (JIT, TCP windows, caches). */
  warmupMs: number;
}

export interface FanoutResult {
  /** Deliveries (messages × subscribers that got them) per second, first publish to last delivery. */
  deliveredPerSecond: number;
  /** Messages the publisher had accepted per second. */
  publishedPerSecond: number;
  expected: number;
  delivered: number;
  /** Publish call to handler, per delivery (latency mode), ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The three systems behind one small surface: publish one payload, subscribe with a callback. */
interface Bus {
  subscribe(onMessage: (sentAt: number) => void): Promise<void>;
  /** Resolves once the system took the message (Switchboard, Redis: its reply; NATS: queued). */
  publish(sentAt: number): Promise<void> | void;
  /** Make sure everything published so far left this process (NATS buffers). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const SUBJECT = `bench.fanout.${process.pid}`;

/**
 * One publisher and `subscribers` subscribers, each on its own connection, in this one
 * process, so one monotonic clock stamps publish and handler. The payload is a small record
 * (sequence number and publish time): msgpack through the Switchboard SDK, the same JSON text
 * for NATS core and Redis pub/sub (both carry bytes, so the subscriber parses it, as the SDK
 * decodes msgpack). Switchboard messages are at-most-once, the bus's mode that compares with
 * these two: no store, delivered to whoever is subscribed now.
 */
childMain<Params, FanoutResult>(async (p) => {
  const buses = await openBuses(p);
  const latencies: number[] = [];
  let delivered = 0;
  let lastAt = 0;
  const record = p.mode === 'latency';
  /** Set when the run starts: messages sent before it are the warm-up. */
  let recordFrom = Number.POSITIVE_INFINITY;
  for (const b of buses.subscribers) {
    await b.subscribe((sentAt) => {
      delivered++;
      lastAt = performance.now();
      if (record && sentAt >= recordFrom) latencies.push(lastAt - sentAt);
    });
  }
  const pub = buses.publisher;
  // Every system gets a moment to have its subscriptions in force before the first message.
  await pub.flush();
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  let published = 0;
  if (p.mode === 'throughput') {
    let next = 0;
    await Promise.all(
      Array.from({ length: p.window }, async () => {
        while (next < p.messages) {
          next++;
          await pub.publish(performance.now());
          published++;
          // NATS has no reply: yield every so often so its writes leave and reads come in.
          if (published % 1024 === 0) await pub.flush();
        }
      }),
    );
  } else {
    recordFrom = t0 + p.warmupMs;
    const total = Math.round((p.rate * (p.warmupMs + p.durationMs)) / 1000);
    while (published < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * p.rate) / 1000));
      const batch: Array<Promise<void> | void> = [];
      for (; published < due; published++) batch.push(pub.publish(performance.now()));
      await Promise.all(batch);
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  await pub.flush();
  const publishedMs = performance.now() - t0;
  const expected = published * p.subscribers;
  // At most once: what has not come once deliveries stop for a second was dropped.
  let before = -1;
  while (delivered < expected && delivered !== before) {
    before = delivered;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await Promise.all([pub, ...buses.subscribers].map((b) => b.close()));
  latencies.sort((a, b) => a - b);
  const elapsedMs = Math.max(lastAt - t0, 1);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    deliveredPerSecond: Math.round((delivered / elapsedMs) * 1000),
    publishedPerSecond: Math.round((published / publishedMs) * 1000),
    expected,
    delivered,
    p50Ms: round(quantile(latencies, 0.5)),
    p99Ms: round(quantile(latencies, 0.99)),
    maxMs: round(latencies[latencies.length - 1] ?? 0),
  };
});

async function openBuses(p: Params): Promise<{ publisher: Bus; subscribers: Bus[] }> {
  const open = (): Promise<Bus> => {
    if (p.system === 'switchboard') return switchboardBus(p.peer!.url);
    if (p.system === 'nats') return natsBus();
    return redisBus();
  };
  const peer = p.system === 'nats' ? NATS : p.system === 'redis' ? REDIS : undefined;
  const unreachable = peer && (await probeTcp(peer.host, peer.port));
  if (unreachable) throw new SkipError(`${peer.what}: ${unreachable}`);
  const subscribers: Bus[] = [];
  for (let i = 0; i < p.subscribers; i++) subscribers.push(await open());
  return { publisher: await open(), subscribers };
}

async function switchboardBus(url: string): Promise<Bus> {
  const client = new Producer({ url });
  await client.start();
  return {
    async subscribe(onMessage) {
      await client.subscribe<{ t: number }>(SUBJECT, (m) => onMessage(m.data.t));
    },
    async publish(sentAt) {
      await client.publish(SUBJECT, { t: sentAt });
    },
    flush: () => Promise.resolve(),
    close: () => client.close(),
  };
}

async function natsBus(): Promise<Bus> {
  const nc: NatsConnection = await connect({ servers: `${NATS.host}:${NATS.port}` });
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return {
    subscribe(onMessage) {
      nc.subscribe(SUBJECT, {
        callback: (_err, m) => onMessage((JSON.parse(dec.decode(m.data)) as { t: number }).t),
      });
      return nc.flush();
    },
    publish(sentAt) {
      nc.publish(SUBJECT, enc.encode(JSON.stringify({ t: sentAt })));
    },
    flush: () => nc.flush(),
    close: () => nc.drain(),
  };
}

async function redisBus(): Promise<Bus> {
  const r = new Redis({ host: REDIS.host, port: REDIS.port, lazyConnect: true });
  await r.connect();
  return {
    async subscribe(onMessage) {
      r.on('message', (_channel: string, text: string) =>
        onMessage((JSON.parse(text) as { t: number }).t),
      );
      await r.subscribe(SUBJECT);
    },
    async publish(sentAt) {
      await r.publish(SUBJECT, JSON.stringify({ t: sentAt }));
    },
    flush: () => Promise.resolve(),
    close: async () => {
      r.disconnect();
    },
  };
}
