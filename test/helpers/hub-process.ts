import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PresetName } from '../../server/config/schema.js';
import { freePort } from './free-port.js';
import type { Teardown } from './temp-dir.js';

export const CLI = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/server/cli/main.js',
);

export interface HubChild {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * The command line for the CLI as a child process. Run as another user, it goes through
 * `env -u NODE_OPTIONS`: tap hooks every child it spawns (NODE_OPTIONS=--import …) to write
 * process info into the checkout's .tap dir, which that user cannot write.
 */
export function cliCommand(args: string[], otherUser: boolean): [string, string[]] {
  if (!otherUser) return [process.execPath, [CLI, ...args]];
  return ['env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args]];
}

/** Start `switchboard start …` from dist/ as a child process; resolves once /ready says ready. */
export async function startHubChild(
  args: string[],
  env: Record<string, string>,
  httpPort: number,
  timeoutMs = 15_000,
  /** Run the hub as another user (the test runs as root). */
  as?: { uid: number; gid: number },
): Promise<HubChild> {
  const [cmd, argv] = cliCommand(['start', ...args], as !== undefined);
  const proc = spawn(cmd, argv, {
    env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(as ?? {}),
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hub exited with ${proc.exitCode}:\n${out}`);
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`hub not ready within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { proc, output: () => out, exited };
}

/** Where a hub child listens: two free loopback ports, and the `start` flags that name them. */
export interface HubAddress {
  wsPort: number;
  httpPort: number;
  /** `ws://127.0.0.1:<wsPort>` */
  wsUrl: string;
  /** `http://127.0.0.1:<httpPort>` */
  httpUrl: string;
  /** `--port <wsPort> --http-port <httpPort> --host 127.0.0.1` */
  flags: string[];
}

export async function hubAddress(): Promise<HubAddress> {
  const wsPort = await freePort();
  const httpPort = await freePort();
  return {
    wsPort,
    httpPort,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    flags: ['--port', String(wsPort), '--http-port', String(httpPort), '--host', '127.0.0.1'],
  };
}

/** How a test starts its hub: the flags that differ from test to test, and the env. */
export interface HubSpec {
  /** Left out: no --preset flag, so the schema's default applies. */
  preset?: PresetName;
  dataDir?: string;
  /** More `start` flags (--store, --config, --transport …). */
  args?: string[];
  env?: Record<string, string>;
  /** Run the hub as another user (the test runs as root). */
  as?: { uid: number; gid: number };
}

/** The whole `start` command line for `spec` on `address`. */
export function hubStartArgs(spec: HubSpec, address: HubAddress): string[] {
  return [
    ...(spec.preset === undefined ? [] : ['--preset', spec.preset]),
    ...(spec.dataDir === undefined ? [] : ['--data-dir', spec.dataDir]),
    ...(spec.args ?? []),
    ...address.flags,
  ];
}

/** One test's hub child, on its own ports; every child it starts is killed when the test ends. */
export interface HubProcess extends HubAddress {
  /** The `start` command line, to run it by other means too (e.g. a start that must be refused). */
  args: string[];
  /**
   * Start a child with this command line and env (plus `env`); resolves once /ready says
   * ready. To restart, the one before must be gone: both would want the same ports.
   */
  start(env?: Record<string, string>): Promise<HubChild>;
}

export async function hubProcess(t: Teardown, spec: HubSpec = {}): Promise<HubProcess> {
  const address = await hubAddress();
  const args = hubStartArgs(spec, address);
  const started: HubChild[] = [];
  t.teardown(() => {
    for (const c of started) c.proc.kill('SIGKILL');
  });
  return {
    ...address,
    args,
    async start(env = {}) {
      const c = await startHubChild(
        args,
        { ...spec.env, ...env },
        address.httpPort,
        undefined,
        spec.as,
      );
      started.push(c);
      return c;
    },
  };
}
