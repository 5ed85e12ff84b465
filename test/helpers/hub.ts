import pino from 'pino';
import { Hub, type HubOptions } from '../../server/hub/hub.js';
import { VolatileStore } from '../../server/hub/hub-store.js';
import { HttpServer } from '../../server/http/http-server.js';
import { allRoutes } from '../../server/http/routes/index.js';
import type { Route } from '../../server/http/router.js';
import { NodeService } from '../../server/nodes/node-service.js';
import type { NodeRunner } from '../../server/nodes/node-runner.js';

export interface TestHub {
  hub: Hub;
  http: HttpServer;
  wsUrl: string;
  httpUrl: string;
  stop(): Promise<void>;
}

/** What a real hub in a test runs with: loopback, a port the OS chooses, memory mode, quiet. */
export function testHubOptions(overrides: Partial<HubOptions> = {}): HubOptions {
  return {
    host: '127.0.0.1',
    wsPort: 0,
    maxFrameBytes: 64 * 1024,
    maxBackpressureBytes: 1 << 20,
    handshakeTimeoutMs: 2000,
    heartbeatIntervalMs: 1000,
    transport: (process.env.SWITCHBOARD_TEST_TRANSPORT as 'ws' | 'uws' | undefined) ?? 'auto',
    auth: { enabled: false },
    core: { disconnectGraceMs: 500, heartbeatTimeoutMs: 3000 },
    store: new VolatileStore(),
    logger: pino({ level: process.env.SWITCHBOARD_TEST_LOG ?? 'silent' }),
    version: 'test',
    processMetrics: false,
    ...overrides,
  };
}

/** Each test hub's node service, closed with it (its port forwards are listening sockets). */
const services = new WeakMap<Hub, NodeService>();

/** Close what the hub's node service holds open: forwards, the runner's connections. */
export function closeNodeService(hub: Hub): Promise<void> {
  return services.get(hub)?.close() ?? Promise.resolve();
}

/** The hub's HTTP server (every route) on a loopback port the OS chooses; not listening yet. */
export function testHttpServer(
  hub: Hub,
  extraRoutes: (hub: Hub) => Route[] = () => [],
  runner?: NodeRunner,
): HttpServer {
  // A NodeService attaches itself to the hub's gateway (node commands go through it).
  services.set(hub, new NodeService(hub, runner));
  return new HttpServer(hub, { host: '127.0.0.1', port: 0, maxBodyBytes: 1 << 20 }, [
    ...allRoutes(hub),
    ...extraRoutes(hub),
  ]);
}

/** A real hub on loopback ports chosen by the OS, in memory mode, quiet. */
export async function startTestHub(
  overrides: Partial<HubOptions> = {},
  extraRoutes: (hub: Hub) => Route[] = () => [],
  runner?: NodeRunner,
): Promise<TestHub> {
  const hub = new Hub(testHubOptions(overrides));
  await hub.start();
  const http = testHttpServer(hub, extraRoutes, runner);
  await http.listen();
  return {
    hub,
    http,
    wsUrl: `ws://127.0.0.1:${hub.wsPort}`,
    httpUrl: `http://127.0.0.1:${http.port}`,
    async stop() {
      await hub.stop(0);
      await http.close();
      await closeNodeService(hub);
    },
  };
}
