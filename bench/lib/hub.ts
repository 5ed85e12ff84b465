import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterStop, startServer } from './child-process.js';
import { gcRecording } from './gc-log.js';
import type { ServerUnderTest } from './load-scenario.js';
import { freePort } from './net.js';
import { REPO_ROOT } from './paths.js';
import { HUB_NODE_FLAGS } from '../../server/runtime/node-flags.js';
import type { ScenarioContext } from './types.js';

export interface HubStartOptions {
  /** --preset value; default 'development' (memory store, no auth). */
  readonly preset?: string;
  /** More CLI arguments after `start` (e.g. ['--store', 'wal', '--fsync', 'always']). */
  readonly args?: readonly string[];
  /** Extra environment for the hub process. */
  readonly env?: Readonly<Record<string, string>>;
  /** Node flags before the script (e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']). */
  readonly nodeFlags?: readonly string[];
  /** Without the V8 flags the hub is deployed with (HUB_NODE_FLAGS): Node's defaults. */
  readonly nodeDefaults?: boolean;
  /** Create a fresh temporary data dir and pass it as `--data-dir` (removed on stop). */
  readonly dataDir?: boolean;
  /** How many load-generator children it outlives (default: one per latency rate). */
  readonly runs?: number;
}

/**
 * Start the Switchboard hub from its compiled CLI in its own process on free loopback ports:
 *   node dist/server/cli/main.js start --preset <p> --port P --http-port Q [args]
 * Ready when the WebSocket port accepts TCP. Load generators get params.peer =
 * { url: 'ws://127.0.0.1:P/', httpUrl: 'http://127.0.0.1:Q' }.
 */
export async function startHub(
  ctx: ScenarioContext,
  opts: HubStartOptions = {},
): Promise<ServerUnderTest> {
  const port = await freePort();
  const httpPort = await freePort();
  const dir = opts.dataDir ? mkdtempSync(join(tmpdir(), 'switchboard-bench-')) : undefined;
  const gc = gcRecording();
  const args = [
    ...gc.nodeFlags,
    // As npm start, the systemd unit and the Dockerfile start it.
    ...(opts.nodeDefaults ? [] : HUB_NODE_FLAGS),
    ...(opts.nodeFlags ?? []),
    // Experiments with V8 flags on the hub alone (not the load generators).
    ...(process.env.SWITCHBOARD_BENCH_HUB_FLAGS ?? '').split(' ').filter(Boolean),
    join(REPO_ROOT, 'dist', 'server', 'cli', 'main.js'),
    'start',
    '--preset',
    opts.preset ?? 'development',
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    ...(dir ? ['--data-dir', dir] : []),
    ...(opts.args ?? []),
  ];
  const child = await startServer({
    label: 'switchboard-hub',
    args,
    env: { ...opts.env, ...gc.env },
    cwd: REPO_ROOT,
    timeoutMs:
      ctx.options.childTimeoutMs * (opts.runs ?? Math.max(1, ctx.options.rates.length)) + 30_000,
    ready: { kind: 'tcp', port },
  }).catch((err: unknown) => {
    gc.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    child: afterStop(child, () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      gc.remove();
    }),
    peer: { url: `ws://127.0.0.1:${port}/`, httpUrl: `http://127.0.0.1:${httpPort}` },
    gcLog: gc.path,
  };
}
