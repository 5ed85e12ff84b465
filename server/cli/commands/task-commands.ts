import type { Command } from 'commander';
import type { TaskJson } from '../../../protocol/index.js';
import { CliError, ExitCode } from '../../support/exit-codes.js';
import { hubRequest, type HubTarget } from '../hub-client.js';
import { renderTable } from '../table.js';
import { withHubTargetFlags, type TargetFlags } from '../target.js';

type TargetResolver = (opts: TargetFlags) => Promise<HubTarget>;

interface TaskPage {
  tasks: TaskJson[];
  nextCursor: string | null;
}
interface PurgeDone {
  queue: string;
  count: number;
  more: boolean;
}

/** The finished states a purge takes (server/gateway/task-purge.ts). */
const PURGE_STATES = ['dead', 'completed', 'cancelled', 'expired'];
/** What one purge call may remove; the CLI calls again while the hub says there is more. */
const PURGE_LIMIT = 10_000;

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`${flag} must be a positive integer`, ExitCode.USAGE);
  return n;
}

/** The filter flags `task list` and `task purge` share, as the REST names them. */
function filterFlags(cmd: Command): Command {
  return cmd
    .option('--error-code <code>', 'only tasks whose last error has this code')
    .option('--since <time>', 'created at or after (Unix ms or ISO 8601)')
    .option('--until <time>', 'created before (Unix ms or ISO 8601)')
    .option('--finished-since <time>', 'finished at or after (Unix ms or ISO 8601)')
    .option('--finished-until <time>', 'finished before (Unix ms or ISO 8601)')
    .option('--where <field=value>', 'payload field equality, e.g. payload.customerId=42');
}

interface FilterOpts {
  errorCode?: string;
  since?: string;
  until?: string;
  finishedSince?: string;
  finishedUntil?: string;
  where?: string;
}

function filterOf(opts: FilterOpts): Record<string, string> {
  const f: Record<string, string> = {};
  if (opts.errorCode !== undefined) f.errorCode = opts.errorCode;
  if (opts.since !== undefined) f.since = opts.since;
  if (opts.until !== undefined) f.until = opts.until;
  if (opts.finishedSince !== undefined) f.finishedSince = opts.finishedSince;
  if (opts.finishedUntil !== undefined) f.finishedUntil = opts.finishedUntil;
  if (opts.where !== undefined) f.where = opts.where;
  return f;
}

/** A time flag in a JSON body: Unix ms as a number, else the text (ISO 8601). */
const bodyTime = (text: string): number | string => (/^\d{1,15}$/.test(text) ? Number(text) : text);

/**
 * `switchboard task list [--queue Q] [--state S] [filters] [--limit N] [--cursor C]` and
 * `switchboard task purge QUEUE --state S [filters]` (docs/dead-letters.md).
 */
export function registerTaskCommands(program: Command, resolve: TargetResolver): void {
  const task = program.command('task').description('search tasks, purge finished ones');

  withHubTargetFlags(
    filterFlags(
      task
        .command('list')
        .description('tasks matching a filter, oldest first, a page at a time')
        .option('--queue <name>', 'only this queue')
        .option('--state <state>', 'only this state: queued, leased, completed, dead, …')
        .option('--limit <n>', 'at most this many (default 100)', '100')
        .option('--cursor <cursor>', 'start after the page that printed this cursor'),
    ),
    'producer or admin token',
  ).action(async (opts) => {
    const limit = positive('--limit', opts.limit);
    const target = await resolve(opts);
    const tasks: TaskJson[] = [];
    let cursor: string | null = opts.cursor ?? null;
    do {
      const params = new URLSearchParams({
        ...filterOf(opts),
        limit: String(Math.min(1000, limit - tasks.length)),
      });
      if (opts.queue) params.set('queue', String(opts.queue));
      if (opts.state) params.set('state', String(opts.state));
      if (cursor) params.set('cursor', cursor);
      const page = await hubRequest<TaskPage>(target, 'GET', `/api/v1/tasks?${params}`);
      tasks.push(...page.tasks);
      cursor = page.nextCursor;
    } while (cursor && tasks.length < limit);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ tasks, nextCursor: cursor }, null, 2)}\n`);
      return;
    }
    if (tasks.length === 0) {
      process.stdout.write('no tasks match\n');
      return;
    }
    const rows = tasks.map((t) => [
      t.id,
      t.queue,
      t.state,
      `${t.attempt}/${t.maxAttempts}`,
      iso(t.createdAt),
      t.error?.code ?? '-',
      JSON.stringify(t.payload).slice(0, 50),
    ]);
    const more = cursor ? `; more: --cursor ${cursor}` : '';
    process.stdout.write(
      `${renderTable(['ID', 'QUEUE', 'STATE', 'ATTEMPTS', 'CREATED', 'ERROR', 'PAYLOAD'], rows)}\n${tasks.length} tasks${more}\n`,
    );
  });

  withHubTargetFlags(
    filterFlags(
      task
        .command('purge')
        .description("remove a queue's finished tasks in one state matching the filter, for good")
        .argument('<queue>', 'queue name')
        .requiredOption('--state <state>', `the state purged: ${PURGE_STATES.join(', ')}`),
    ),
    'admin token',
  ).action(async (queue: string, opts) => {
    if (!PURGE_STATES.includes(opts.state))
      throw new CliError(
        `--state must be one of ${PURGE_STATES.join(', ')} (cancel unfinished tasks first)`,
        ExitCode.USAGE,
      );
    const target = await resolve(opts);
    const body: Record<string, unknown> = { state: opts.state, limit: PURGE_LIMIT };
    for (const [k, v] of Object.entries(filterOf(opts)))
      body[k] = k === 'errorCode' || k === 'where' ? v : bodyTime(v);
    let count = 0;
    for (;;) {
      const r = await hubRequest<PurgeDone>(
        target,
        'POST',
        `/api/v1/queues/${encodeURIComponent(queue)}/purge`,
        body,
      );
      count += r.count;
      if (!r.more || r.count === 0) break;
    }
    process.stdout.write(
      opts.json
        ? `${JSON.stringify({ queue, purged: count })}\n`
        : `purged ${count} ${opts.state} from ${queue}\n`,
    );
  });
}
