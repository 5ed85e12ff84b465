import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
