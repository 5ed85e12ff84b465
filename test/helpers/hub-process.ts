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

/** Start `switchboard start …` from dist/ as a child process; resolves once /ready says ready. */
export async function startHubChild(
  args: string[],
  env: Record<string, string>,
  httpPort: number,
  timeoutMs = 15_000,
): Promise<HubChild> {
  const proc = spawn(process.execPath, [CLI, 'start', ...args], {
    env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
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
