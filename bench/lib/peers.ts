import { gcRecording } from './gc-log.js';
import { afterStop, startServer } from './child-process.js';
import type { ServerUnderTest } from './load-scenario.js';
import { freePort } from './net.js';
import { benchScript } from './paths.js';
import type { ScenarioContext } from './types.js';

/** The local peers, on 127.0.0.1 only. */
export const REDIS = { what: 'Redis', host: '127.0.0.1', port: 6379 } as const;
export const NATS = { what: 'NATS', host: '127.0.0.1', port: 4222 } as const;

/** Start the bare uWebSockets.js peer in its own process on a free port. */
export async function startBareUws(ctx: ScenarioContext): Promise<ServerUnderTest> {
  const port = await freePort();
  const gc = gcRecording();
  const child = await startServer({
    label: 'bare-uws-server',
    args: [...gc.nodeFlags, benchScript('peers/bare-uws-server.js'), '--port', String(port)],
    env: gc.env,
    timeoutMs: ctx.options.childTimeoutMs * ctx.options.rates.length + 30_000,
    ready: { kind: 'message' },
  }).catch((err: unknown) => {
    gc.remove();
    throw err;
  });
  return {
    child: afterStop(child, gc.remove),
    peer: { url: `ws://127.0.0.1:${port}/` },
    gcLog: gc.path,
  };
}
