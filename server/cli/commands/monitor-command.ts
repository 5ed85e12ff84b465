import type { Command } from 'commander';
import type { TargetResolver } from './hub-commands.js';
import { withTlsClientFlags } from '../target.js';

export function registerMonitor(program: Command, resolve: TargetResolver): void {
  withTlsClientFlags(program.command('monitor'))
    .description('live terminal dashboard of a running hub (q quits)')
    .option(
      '--url <url>',
      'HTTP side port of the hub; several hubs of one cluster comma-separated (env SWITCHBOARD_URL)',
    )
    .option('--token <jwt>', 'admin token (env SWITCHBOARD_TOKEN)')
    .option(
      '-d, --data-dir <dir>',
      'on the hub machine: mint a short-lived admin token from this data dir',
    )
    .option('--once', 'print a plain-text snapshot and exit')
    .option('--json', 'print the snapshot as JSON and exit')
    .action(async (opts) => {
      const target = await resolve(opts);
      // Loaded on demand: the hub process never needs ink and React in memory.
      const { runMonitor } = await import('../../../client/monitor/index.js');
      process.exitCode = await runMonitor({
        url: target.hubs.all,
        token: target.token,
        tls: target.tls,
        once: opts.once,
        json: opts.json,
      });
    });
}
