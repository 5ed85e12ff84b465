import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError, ExitCode } from '../../support/exit-codes.js';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** `switchboard bench`: the side-by-side benchmark runner, or a quick smoke test of a running hub. */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      'benchmark against BullMQ and NATS JetStream (see docs/benchmarks.md); --quick smoke-tests a running hub',
    )
    .option(
      '--quick',
      'process 1,000 tasks through a running hub and print ops/s and average latency',
    )
    .option('--url <ws-url>', 'with --quick: the hub WebSocket URL (default ws://127.0.0.1:9501)')
    .option('--token <jwt>', 'with --quick: a token with producer and worker rights (admin)')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action(async (opts: { quick?: boolean; url?: string; token?: string }, cmd: Command) => {
      const script = path.join(DIST, 'bench', opts.quick ? 'quick-main.js' : 'run.js');
      if (!existsSync(script))
        throw new CliError(`${script} is missing; run npm run build`, ExitCode.USAGE);
      const args = opts.quick
        ? [
            '--url',
            opts.url ?? 'ws://127.0.0.1:9501',
            ...(opts.token ? ['--token', opts.token] : []),
            ...cmd.args,
          ]
        : cmd.args;
      const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
      process.exitCode = await new Promise<number>((resolve) =>
        child.on('exit', (code) => resolve(code ?? 1)),
      );
    });
}
