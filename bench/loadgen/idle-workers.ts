import { childMain } from '../lib/child-main.js';
import { WsFrameClient } from './ws-frame-client.js';

interface Params {
  url: string;
  connections: number;
  /** How long to hold the connections open after they are all registered. */
  holdMs: number;
}

/**
 * Many idle workers: each connection says hello, registers on a queue that never gets work,
 * and then only heartbeats (the hub's default interval). Reports how long connecting took;
 * the scenario measures the hub meanwhile.
 */
childMain<Params, { connectMs: number; connections: number }>(async (p) => {
  const clients: WsFrameClient[] = [];
  const t0 = performance.now();
  const parallel = 200;
  for (let i = 0; i < p.connections; i += parallel) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(parallel, p.connections - i) }, async () => {
        const c = await WsFrameClient.connect(p.url);
        await c.request({ t: 'hello', protocol: 1, client: 'idle' });
        await c.request({ t: 'register', queues: ['idle-bench'], concurrency: 1 });
        return c;
      }),
    );
    clients.push(...batch);
  }
  const connectMs = performance.now() - t0;
  process.stderr.write(
    `idle-workers: ${clients.length} connected in ${Math.round(connectMs)} ms\n`,
  );
  // Heartbeat like the SDK does (every 5 s), so the hub does its real idle work.
  const beat = setInterval(() => {
    for (const c of clients) c.send({ t: 'heartbeat' });
  }, 5000);
  await new Promise((r) => setTimeout(r, p.holdMs));
  clearInterval(beat);
  await Promise.all(clients.map((c) => c.close()));
  return { connectMs: Math.round(connectMs), connections: clients.length };
});
