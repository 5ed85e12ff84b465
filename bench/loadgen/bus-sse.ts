import { Producer } from '../../client/index.js';
import { childMain } from '../lib/child-main.js';

interface Params {
  peer: { url: string; httpUrl: string };
  /** Where the subscriber reads: the SDK over WebSocket, or the SSE stream over HTTP. */
  via: 'ws' | 'sse';
  qos: 'at-most-once' | 'at-least-once';
  messages: number;
  /** Publishes in flight at once. */
  window: number;
  maxInFlight: number;
}

export interface BusSseResult {
  /** Distinct messages the subscriber got per second, first publish to last message seen. */
  perSecond: number;
  received: number;
  duplicates: number;
  /** SSE: connections the stream took (the hub ends one per confirmation). */
  connections: number;
  elapsedMs: number;
}

/**
 * One WebSocket publisher, one subscriber (a durable subscription for stored messages),
 * `messages` messages of a few bytes: how fast the subscriber gets them, over the SDK or
 * over SSE, where the client confirms stored messages by reconnecting (docs/messaging.md).
 */
childMain<Params, BusSseResult>(async (p) => {
  const topic = 'bench.bus';
  const stored = p.qos !== 'at-most-once';
  const seen = new Set<number>();
  let duplicates = 0;
  let lastAt = 0;
  const got = (n: number): void => {
    if (seen.has(n)) duplicates++;
    else seen.add(n);
    lastAt = performance.now();
  };
  const durable = `bench-${p.via}-${process.pid}`;
  const sub = new Producer({ url: p.peer.url });
  const stop = new AbortController();
  if (p.via === 'ws') {
    await sub.subscribe(topic, (m) => got(m.data as number), {
      maxInFlight: p.maxInFlight,
      ...(stored ? { durable } : {}),
    });
  } else {
    const query = new URLSearchParams({ topic, maxInFlight: String(p.maxInFlight) });
    if (stored) query.set('durable', durable);
    await readSse(`${p.peer.httpUrl}/api/v1/messages/stream?${query}`, got, stop.signal);
  }
  const pub = new Producer({ url: p.peer.url });
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: p.window }, async () => {
      while (next < p.messages) {
        const n = next++;
        await pub.publish(topic, n, stored ? { qos: p.qos } : {});
      }
    }),
  );
  const deadline = Date.now() + 60_000;
  while (seen.size < p.messages && Date.now() < deadline) {
    const before = seen.size;
    await new Promise((r) => setTimeout(r, stored ? 20 : 300));
    if (!stored && seen.size === before) break; // at-most-once: what did not come was dropped
  }
  stop.abort();
  await Promise.all([pub.close(), sub.close()]);
  const elapsedMs = lastAt - t0;
  return {
    perSecond: Math.round((seen.size / elapsedMs) * 1000),
    received: seen.size,
    duplicates,
    connections: sseConnections,
    elapsedMs: Math.round(elapsedMs),
  };
});

/** Connections the SSE reader opened. */
let sseConnections = 0;

/**
 * An EventSource-like reader: reconnects with Last-Event-ID after the `retry:` the hub gave.
 * Resolves once the first connection is open; reads on until `signal` aborts.
 */
function readSse(url: string, onData: (n: number) => void, signal: AbortSignal): Promise<void> {
  let lastId: string | undefined;
  let retryMs = 1000;
  let resolveFirst!: () => void;
  const first = new Promise<void>((r) => (resolveFirst = r));
  void (async () => {
    while (!signal.aborted) {
      try {
        const res = await fetch(url, {
          headers: lastId === undefined ? {} : { 'last-event-id': lastId },
          signal,
        });
        if (res.status !== 200) throw new Error(`SSE answered ${res.status}`);
        sseConnections++;
        resolveFirst();
        const decoder = new TextDecoder();
        let buf = '';
        for await (const chunk of res.body!) {
          buf += decoder.decode(chunk as Uint8Array, { stream: true });
          // One split per chunk: slicing the buffer once per event would copy it per event.
          const blocks = buf.split('\n\n');
          buf = blocks.pop()!;
          for (const block of blocks) {
            let event = 'message';
            let data: string | undefined;
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) lastId = line.slice(4);
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data = line.slice(6);
              else if (line.startsWith('retry: ')) retryMs = Number(line.slice(7));
            }
            if (event === 'message' && data !== undefined)
              onData((JSON.parse(data) as { data: number }).data);
          }
        }
      } catch (err) {
        if (signal.aborted) break;
        process.stderr.write(`bus-sse: ${(err as Error).message}\n`);
      }
      await new Promise((r) => setTimeout(r, retryMs));
    }
  })();
  return first;
}
