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
interface DeadTask {
  task: TaskJson;
  attempts: {
    attempt: number;
    at: number;
    workerId: string | null;
    error: { code: string; message: string };
  }[];
}
interface BulkDone {
  queue: string;
  count: number;
  more: boolean;
}

/** What one bulk call may touch; the CLI calls again while the hub says there is more. */
const BULK_LIMIT = 10_000;

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());
const q = encodeURIComponent;

const withTarget = (cmd: Command): Command => withHubTargetFlags(cmd, 'admin token');

/** One task id, or --all: never both, never neither (a purge of everything must be asked for). */
function oneOrAll(verb: string, id: string | undefined, all: boolean | undefined): void {
  if (id !== undefined && all)
    throw new CliError(`${verb}: give a task id or --all, not both`, ExitCode.USAGE);
  if (id === undefined && !all)
    throw new CliError(`${verb}: give a task id, or --all for every dead task`, ExitCode.USAGE);
}

/** `switchboard dlq list|show|retry|purge QUEUE [ID] [--all]` (docs/dead-letters.md). */
export function registerDlqCommands(program: Command, resolve: TargetResolver): void {
  const dlq = program
    .command('dlq')
    .description("a queue's dead letters: list, inspect, retry, purge (docs/dead-letters.md)");

  withTarget(
    dlq
      .command('list')
      .description("a queue's dead tasks, oldest first")
      .argument('<queue>', 'queue name')
      .option('--limit <n>', 'at most this many (default 100)', '100')
      .option('--error-code <code>', 'only tasks whose last error has this code'),
  ).action(async (queue: string, opts) => {
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new CliError('--limit must be a positive integer', ExitCode.USAGE);
    const target = await resolve(opts);
    const tasks: TaskJson[] = [];
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams({
        queue,
        state: 'dead',
        limit: String(Math.min(1000, limit - tasks.length)),
      });
      if (opts.errorCode) params.set('errorCode', String(opts.errorCode));
      if (cursor) params.set('cursor', cursor);
      const page: TaskPage = await hubRequest<TaskPage>(target, 'GET', `/api/v1/tasks?${params}`);
      tasks.push(...page.tasks);
      cursor = page.nextCursor;
    } while (cursor && tasks.length < limit);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(tasks, null, 2)}\n`);
      return;
    }
    if (tasks.length === 0) {
      process.stdout.write(`no dead tasks in ${queue}\n`);
      return;
    }
    const rows = tasks.map((t) => [
      t.id,
      `${t.attempt}/${t.maxAttempts}`,
      t.error?.code ?? '-',
      iso(t.finishedAt),
      (t.error?.message ?? '').slice(0, 60),
    ]);
    process.stdout.write(
      `${renderTable(['ID', 'ATTEMPTS', 'ERROR', 'DIED', 'MESSAGE'], rows)}\n${tasks.length} dead${cursor ? ' (more: --limit)' : ''}\n`,
    );
  });

  withTarget(
    dlq
      .command('show')
      .description('one dead task: payload, and each failed attempt with its error')
      .argument('<queue>', 'queue name')
      .argument('<id>', 'task id'),
  ).action(async (queue: string, id: string, opts) => {
    const target = await resolve(opts);
    const d = await hubRequest<DeadTask>(target, 'GET', `/api/v1/queues/${q(queue)}/dead/${q(id)}`);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
      return;
    }
    const t = d.task;
    const lines = [
      `${t.id} in ${t.queue}: dead after ${t.attempt} of ${t.maxAttempts} attempts`,
      `  created  ${iso(t.createdAt)}`,
      `  died     ${iso(t.finishedAt)}`,
      `  payload  ${JSON.stringify(t.payload)}`,
      `  error    ${t.error ? `${t.error.code}: ${t.error.message}` : '-'}`,
      'attempts:',
      ...d.attempts.map(
        (a) =>
          `  #${a.attempt}  ${iso(a.at)}  ${a.workerId ?? '-'}  ${a.error.code}: ${a.error.message}`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  });

  withTarget(
    dlq
      .command('retry')
      .description('queue dead tasks again, their attempts reset: one by id, or --all')
      .argument('<queue>', 'queue name')
      .argument('[id]', 'task id')
      .option('--all', 'every dead task of the queue (with --error-code: those matching)')
      .option('--error-code <code>', 'with --all: only tasks whose last error has this code'),
  ).action(async (queue: string, id: string | undefined, opts) => {
    oneOrAll('retry', id, opts.all);
    const target = await resolve(opts);
    let count = 0;
    if (id !== undefined) {
      // The task must be a dead task of this queue: the show route says so, or 404s.
      await hubRequest<DeadTask>(target, 'GET', `/api/v1/queues/${q(queue)}/dead/${q(id)}`);
      await hubRequest<TaskJson>(target, 'POST', `/api/v1/tasks/${q(id)}/retry`);
      count = 1;
    } else {
      const body: Record<string, unknown> = { limit: BULK_LIMIT };
      if (opts.errorCode) body.errorCode = String(opts.errorCode);
      for (;;) {
        const r = await hubRequest<BulkDone>(
          target,
          'POST',
          `/api/v1/queues/${q(queue)}/retry`,
          body,
        );
        count += r.count;
        if (!r.more || r.count === 0) break;
      }
    }
    process.stdout.write(
      opts.json
        ? `${JSON.stringify({ queue, retried: count })}\n`
        : `retried ${count} in ${queue}\n`,
    );
  });

  withTarget(
    dlq
      .command('purge')
      .description('remove dead tasks for good: one by id, or --all')
      .argument('<queue>', 'queue name')
      .argument('[id]', 'task id')
      .option('--all', 'every dead task of the queue'),
  ).action(async (queue: string, id: string | undefined, opts) => {
    oneOrAll('purge', id, opts.all);
    const target = await resolve(opts);
    const path =
      id === undefined
        ? `/api/v1/queues/${q(queue)}/dead`
        : `/api/v1/queues/${q(queue)}/dead/${q(id)}`;
    const r = await hubRequest<{ queue: string; purged: number }>(target, 'DELETE', path);
    process.stdout.write(
      opts.json ? `${JSON.stringify(r)}\n` : `purged ${r.purged} from ${queue}\n`,
    );
  });
}
