import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PresetName } from '../../server/config/schema.js';
import { freePort } from './free-port.js';
import type { Teardown } from './teardown.js';

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

/** Another user to run the hub as (the test runs as root). */
export interface RunAs {
  uid: number;
  gid: number;
}

/** `switchboard start …` from dist/ as a child process, its output collected; not waited for. */
export function spawnHubChild(args: string[], env: Record<string, string>, as?: RunAs): HubChild {
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
  return { proc, output: () => out, exited };
}

/**
 * Poll `isReady` (a throw counts as not yet) until it says true. Throws with the child's
 * output if the child exits first, or kills it (SIGKILL) and throws after `timeoutMs`.
 */
export async function waitUntilReady(
  child: HubChild,
  isReady: () => Promise<boolean>,
  { timeoutMs = 15_000, pollMs = 25, what = 'hub' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.proc.exitCode !== null) {
      throw new Error(`${what} exited with ${child.proc.exitCode}:\n${child.output()}`);
    }
    try {
      if (await isReady()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.proc.kill('SIGKILL');
      throw new Error(`${what} not ready within ${timeoutMs} ms:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Start `switchboard start …` from dist/ as a child process; resolves once /ready says ready. */
export async function startHubChild(
  args: string[],
  env: Record<string, string>,
  httpPort: number,
  timeoutMs = 15_000,
  /** Run the hub as another user (the test runs as root). */
  as?: RunAs,
): Promise<HubChild> {
  const child = spawnHubChild(args, env, as);
  await waitUntilReady(
    child,
    async () => (await fetch(`http://127.0.0.1:${httpPort}/ready`)).status === 200,
    { timeoutMs },
  );
  return child;
}

/**
 * Run `switchboard start …` to the end, for a start that must be refused: what a user
 * sees (exit status, stderr, stdout). `status` is null if it had not ended within
 * `timeoutMs` (it is killed then).
 */
export function runHubStart(
  args: string[],
  {
    env = {},
    as,
    timeoutMs = 20_000,
  }: { env?: Record<string, string>; as?: RunAs; timeoutMs?: number } = {},
): { status: number | null; stderr: string; stdout: string } {
  const [cmd, argv] = cliCommand(['start', ...args], as !== undefined);
  const r = spawnSync(cmd, argv, {
    env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    ...(as ?? {}),
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
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
  as?: RunAs;
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
  start(env?: Record<string, string>, readyTimeoutMs?: number): Promise<HubChild>;
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
    async start(env = {}, readyTimeoutMs?: number) {
      const c = await startHubChild(
        args,
        { ...spec.env, ...env },
        address.httpPort,
        readyTimeoutMs,
        spec.as,
      );
      started.push(c);
      return c;
    },
  };
}
