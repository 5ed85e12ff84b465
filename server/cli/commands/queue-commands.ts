import type { Command } from 'commander';
import {
  formatRate,
  parseRate,
  type QueueJson,
  type QueueLimitsJson,
  type QueueLimitsSpec,
} from '../../../protocol/index.js';
import { CliError, ExitCode } from '../../support/exit-codes.js';
import { hubRequest, type HubTarget } from '../hub-client.js';
import { withTlsClientFlags, type TargetFlags } from '../target.js';

/** As in hub-commands.ts (not imported from there: it imports describeLimits from here). */
type TargetResolver = (opts: TargetFlags) => Promise<HubTarget>;

/** "off" removes one limit; anything else must be a positive integer. */
function countFlag(flag: string, value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'off') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`${flag} must be a positive integer or "off"`, ExitCode.USAGE);
  return n;
}

/** The limits a queue has, as the CLI shows them: "rate 100/1s, concurrency 5, …". */
export function describeLimits(limits: QueueLimitsJson | null): string {
  if (!limits) return 'no limits';
  const parts: string[] = [];
  if (limits.rate)
    parts.push(`rate ${formatRate(limits.rate)} (${limits.startsInWindow} in the window)`);
  if (limits.concurrency !== null) parts.push(`concurrency ${limits.concurrency}`);
  if (limits.group)
    parts.push(
      `${limits.group.concurrency} per ${limits.group.key} (${limits.groupsRunning} running, ${limits.groupsAtLimit} at the limit)`,
    );
  return parts.join(', ');
}

/** `switchboard queue limit QUEUE …`: set, change, clear and show a queue's limits. */
export function registerQueueCommands(program: Command, resolve: TargetResolver): void {
  const queue = program.command('queue').description("a queue's settings (see also: queues)");
  withTlsClientFlags(
    queue
      .command('limit')
      .description(
        "set or show a queue's limits; flags not given keep their value (docs/rate-limits.md)",
      )
      .argument('<queue>', 'queue name')
      .option('--rate <N/DURATION>', 'at most N attempts started per window: 100/s, 5/500ms; off')
      .option('--concurrency <n>', 'at most N running at once across all workers and hubs; off')
      .option('--group-key <field>', 'payload field (dots for nested) that groups tasks; off')
      .option('--group-concurrency <n>', 'at most N running at once per group value')
      .option('--clear', 'remove every limit')
      .option(
        '--url <url>',
        'HTTP side port of the hub; several hubs of one cluster comma-separated (env SWITCHBOARD_URL)',
      )
      .option('--token <jwt>', 'admin token (env SWITCHBOARD_TOKEN)')
      .option('--json', 'print JSON for scripts')
      .option(
        '-d, --data-dir <dir>',
        'on the hub machine: mint a short-lived admin token from this data dir',
      ),
  ).action(async (name: string, opts) => {
    const path = `/api/v1/queues/${encodeURIComponent(name)}`;
    const edits =
      opts.rate !== undefined ||
      opts.concurrency !== undefined ||
      opts.groupKey !== undefined ||
      opts.groupConcurrency !== undefined;
    if (opts.clear && edits)
      throw new CliError('--clear removes every limit: give it alone', ExitCode.USAGE);
    let rate: QueueLimitsSpec['rate'] | null | undefined;
    if (opts.rate === 'off') rate = null;
    else if (opts.rate !== undefined) {
      try {
        rate = parseRate(String(opts.rate));
      } catch (err) {
        throw new CliError(`--rate: ${(err as Error).message}`, ExitCode.USAGE);
      }
    }
    const concurrency = countFlag('--concurrency', opts.concurrency);
    const groupOff = opts.groupKey === 'off';
    const groupConcurrency = countFlag('--group-concurrency', opts.groupConcurrency);
    if (opts.groupKey !== undefined && !groupOff && groupConcurrency == null)
      throw new CliError('--group-key needs --group-concurrency N', ExitCode.USAGE);
    const target = await resolve(opts);
    let answer: QueueJson;
    if (opts.clear) {
      answer = await hubRequest<QueueJson>(target, 'DELETE', `${path}/limits`);
    } else if (!edits) {
      answer = await hubRequest<QueueJson>(target, 'GET', path);
    } else {
      // Merge with what the queue has: the REST body is the whole set.
      const current = (await hubRequest<QueueJson>(target, 'GET', path)).limits;
      const next: QueueLimitsSpec = {};
      const keepRate = rate === undefined ? current?.rate : rate;
      if (keepRate) next.rate = keepRate;
      const keepConcurrency = concurrency === undefined ? current?.concurrency : concurrency;
      if (keepConcurrency != null) next.concurrency = keepConcurrency;
      if (!groupOff) {
        const key = opts.groupKey ?? current?.group?.key;
        const per = groupConcurrency ?? current?.group?.concurrency;
        if (groupConcurrency === null) {
          // --group-concurrency off: the group limit goes.
        } else if (key !== undefined && per !== undefined) {
          next.group = { key, concurrency: per };
        } else if (per !== undefined) {
          throw new CliError('--group-concurrency needs --group-key FIELD', ExitCode.USAGE);
        }
      }
      answer = await hubRequest<QueueJson>(target, 'PUT', `${path}/limits`, next);
    }
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(answer.limits, null, 2)}\n`
        : `${answer.name}: ${describeLimits(answer.limits)}\n`,
    );
  });
}
