import type { Command } from 'commander';
import {
  formatDuration,
  MISSED_POLICIES,
  parseDuration,
  PRIORITY_NAMES,
  type ScheduleJson,
  type ScheduleSpec,
} from '../../../protocol/index.js';
import { CliError, ExitCode } from '../../support/exit-codes.js';
import { hubRequest, type HubTarget } from '../hub-client.js';
import { withHubTargetFlags, type TargetFlags } from '../target.js';

type TargetResolver = (opts: TargetFlags) => Promise<HubTarget>;

/** When a schedule fires, as the CLI shows it: "cron 0 3 * * * (Europe/Berlin)", "every 30s". */
export function describeTiming(s: ScheduleJson): string {
  if (s.cron !== null) return `cron ${s.cron}${s.tz && s.tz !== 'UTC' ? ` (${s.tz})` : ''}`;
  return `every ${formatDuration(s.everyMs ?? 0)}`;
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

function line(s: ScheduleJson): string {
  const state = s.paused ? 'paused' : `next ${iso(s.nextAt)}`;
  return `${s.name}\t${describeTiming(s)}\t→ ${s.task.queue}\t${state}\tfires ${s.fires}${s.skipped ? `, skipped ${s.skipped}` : ''}`;
}

const withTarget = (cmd: Command): Command => withHubTargetFlags(cmd, 'producer or admin token');

/** `switchboard schedule add|list|show|pause|resume|remove` (docs/schedules.md). */
export function registerScheduleCommands(program: Command, resolve: TargetResolver): void {
  const schedule = program
    .command('schedule')
    .description('cron and interval schedules that submit tasks (docs/schedules.md)');

  withTarget(
    schedule
      .command('add')
      .description('create a schedule: --cron EXPR [--tz ZONE] or --every DURATION')
      .argument('<name>', 'schedule name')
      .option('--cron <expr>', 'cron expression: 5 fields, or 6 with seconds first')
      .option('--tz <zone>', 'IANA time zone of the cron expression (default UTC)')
      .option('--every <duration>', 'a fixed interval instead: 30s, 5m, 1h30m, 2d')
      .requiredOption('--queue <queue>', 'the queue each fire submits a task to')
      .option('--payload <json>', "the task's payload (JSON)")
      .option('--priority <level>', `the task's priority: ${PRIORITY_NAMES.join(', ')}`)
      .option('--missed <policy>', 'a fire due while no hub ran: run-once (default) or skip'),
  ).action(async (name: string, opts) => {
    if ((opts.cron === undefined) === (opts.every === undefined))
      throw new CliError('give exactly one of --cron EXPR and --every DURATION', ExitCode.USAGE);
    if (opts.tz !== undefined && opts.cron === undefined)
      throw new CliError('--tz applies to --cron only', ExitCode.USAGE);
    const spec: ScheduleSpec = { name, task: { queue: String(opts.queue) } };
    if (opts.cron !== undefined) spec.cron = String(opts.cron);
    if (opts.tz !== undefined) spec.tz = String(opts.tz);
    if (opts.every !== undefined) {
      try {
        spec.everyMs = parseDuration(String(opts.every));
      } catch (err) {
        throw new CliError(`--every: ${(err as Error).message}`, ExitCode.USAGE);
      }
    }
    if (opts.payload !== undefined) {
      try {
        spec.task.payload = JSON.parse(String(opts.payload));
      } catch (err) {
        throw new CliError(`--payload is not JSON: ${(err as Error).message}`, ExitCode.USAGE);
      }
    }
    if (opts.priority !== undefined) {
      if (!(PRIORITY_NAMES as readonly string[]).includes(opts.priority))
        throw new CliError(`--priority is one of ${PRIORITY_NAMES.join(', ')}`, ExitCode.USAGE);
      spec.task.priority = opts.priority;
    }
    if (opts.missed !== undefined) {
      if (!(MISSED_POLICIES as readonly string[]).includes(opts.missed))
        throw new CliError(`--missed is one of ${MISSED_POLICIES.join(', ')}`, ExitCode.USAGE);
      spec.missed = opts.missed;
    }
    const target = await resolve(opts);
    const s = await hubRequest<ScheduleJson>(target, 'POST', '/api/v1/schedules', spec);
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(s, null, 2)}\n`
        : `schedule ${s.name}: ${describeTiming(s)} → ${s.task.queue}, next ${iso(s.nextAt)}\n`,
    );
  });

  withTarget(schedule.command('list').description('every schedule, by name')).action(
    async (opts) => {
      const target = await resolve(opts);
      const { schedules } = await hubRequest<{ schedules: ScheduleJson[] }>(
        target,
        'GET',
        '/api/v1/schedules',
      );
      if (opts.json) process.stdout.write(`${JSON.stringify(schedules, null, 2)}\n`);
      else if (schedules.length === 0) process.stdout.write('no schedules\n');
      else process.stdout.write(schedules.map((s) => `${line(s)}\n`).join(''));
    },
  );

  withTarget(
    schedule.command('show').description('one schedule').argument('<name>', 'schedule name'),
  ).action(async (name: string, opts) => {
    const target = await resolve(opts);
    const s = await hubRequest<ScheduleJson>(
      target,
      'GET',
      `/api/v1/schedules/${encodeURIComponent(name)}`,
    );
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(s, null, 2)}\n`
        : [
            `${s.name} (${s.id})`,
            `  when     ${describeTiming(s)}${s.paused ? ', paused' : ''}`,
            `  task     queue ${s.task.queue}${s.task.priority ? `, ${s.task.priority}` : ''}${s.task.payload !== undefined ? `, payload ${JSON.stringify(s.task.payload)}` : ''}`,
            `  missed   ${s.missed}`,
            `  next     ${iso(s.nextAt)}`,
            `  last     ${iso(s.lastFireAt)}${s.lastTaskId ? ` → task ${s.lastTaskId}` : ''}`,
            `  fires    ${s.fires}, skipped ${s.skipped}`,
            '',
          ].join('\n'),
    );
  });

  for (const [verb, method, suffix, done] of [
    ['pause', 'POST', '/pause', 'paused'],
    ['resume', 'POST', '/resume', 'resumed'],
    ['remove', 'DELETE', '', 'removed'],
  ] as const) {
    withTarget(
      schedule
        .command(verb)
        .description(
          verb === 'remove'
            ? 'remove a schedule (the tasks it made stay)'
            : verb === 'pause'
              ? 'stop a schedule firing'
              : 'let a paused schedule fire again (from its next occurrence)',
        )
        .argument('<name>', 'schedule name'),
    ).action(async (name: string, opts) => {
      const target = await resolve(opts);
      const s = await hubRequest<ScheduleJson>(
        target,
        method,
        `/api/v1/schedules/${encodeURIComponent(name)}${suffix}`,
      );
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(s, null, 2)}\n`
          : `schedule ${s.name} ${done}${verb === 'resume' ? `, next ${iso(s.nextAt)}` : ''}\n`,
      );
    });
  }
}
