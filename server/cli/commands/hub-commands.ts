import type { Command } from 'commander';
import type { QueueJson } from '../../http/routes/queue-routes.js';
import type { TaskJson, WorkerJson } from '../../hub/task-view.js';
import { CliError, ExitCode } from '../../support/exit-codes.js';
import { hubRequest, type HubTarget } from '../hub-client.js';
import { withTlsClientFlags, type TargetFlags } from '../target.js';
import { ago, renderTable } from '../table.js';
import { describeLimits } from './queue-commands.js';

export type TargetResolver = (opts: TargetFlags) => Promise<HubTarget>;

interface Health {
  status: string;
  uptimeSeconds: number;
  version: string;
}

function print(json: boolean, data: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`);
}

function queuesTable(queues: QueueJson[]): string {
  if (!queues.length) return '(no queues yet)';
  return renderTable(
    [
      'QUEUE',
      'STATE',
      'CRITICAL',
      'HIGH',
      'NORMAL',
      'LOW',
      'DELAYED',
      'LEASED',
      'DEAD',
      'WORKERS',
      'LIMITS',
    ],
    queues.map((q) => [
      q.name,
      q.paused ? 'paused' : 'active',
      q.depth.critical!,
      q.depth.high!,
      q.depth.normal!,
      q.depth.low!,
      q.delayed,
      q.leased,
      q.dead,
      q.workers,
      q.limits ? describeLimits(q.limits) : '-',
    ]),
  );
}

function workersTable(workers: WorkerJson[]): string {
  if (!workers.length) return '(no workers connected)';
  return renderTable(
    ['WORKER', 'KIND', 'STATE', 'QUEUES', 'RUNNING', 'DONE', 'FAILED', 'LAST SEEN'],
    workers.map((w) => [
      w.id,
      w.kind,
      w.state === 'active' ? (w.busy ? 'busy' : 'idle') : w.state,
      w.queues.join(','),
      `${w.running.length}/${w.concurrency}`,
      w.completed,
      w.failed,
      `${ago(w.lastSeen)} ago`,
    ]),
  );
}

/** status, workers, queues, submit: the commands that talk to a running hub over HTTP. */
export function registerHubCommands(program: Command, resolve: TargetResolver): void {
  const common = (cmd: Command): Command =>
    withTlsClientFlags(cmd)
      .option(
        '--url <url>',
        'HTTP side port of the hub; several hubs of one cluster comma-separated (env SWITCHBOARD_URL)',
      )
      .option('--token <jwt>', 'token with the needed role (env SWITCHBOARD_TOKEN)')
      .option('--json', 'print JSON for scripts')
      .option(
        '-d, --data-dir <dir>',
        'on the hub machine: mint a short-lived admin token from this data dir secret (default ./data)',
      );

  common(program.command('status').description('ask a running hub how it is doing')).action(
    async (opts) => {
      const target = await resolve(opts);
      const health = await hubRequest<Health>(target, 'GET', '/health');
      const { queues } = await hubRequest<{ queues: QueueJson[] }>(target, 'GET', '/api/v1/queues');
      const { workers } = await hubRequest<{ workers: WorkerJson[] }>(
        target,
        'GET',
        '/api/v1/workers',
      );
      print(opts.json, { health, queues, workers }, () => {
        const queued = queues.reduce((n, q) => n + q.queued, 0);
        const leased = queues.reduce((n, q) => n + q.leased, 0);
        const dead = queues.reduce((n, q) => n + q.dead, 0);
        return [
          `hub ${target.hubs.current}: ${health.status}, up ${health.uptimeSeconds}s, version ${health.version}`,
          `${workers.length} workers, ${queues.length} queues, ${queued} queued, ${leased} running, ${dead} dead`,
          '',
          queuesTable(queues),
          '',
          workersTable(workers),
        ].join('\n');
      });
    },
  );

  common(program.command('workers').description('list connected workers')).action(async (opts) => {
    const { workers } = await hubRequest<{ workers: WorkerJson[] }>(
      await resolve(opts),
      'GET',
      '/api/v1/workers',
    );
    print(opts.json, workers, () => workersTable(workers));
  });

  common(program.command('queues').description('list queues with their depths')).action(
    async (opts) => {
      const { queues } = await hubRequest<{ queues: QueueJson[] }>(
        await resolve(opts),
        'GET',
        '/api/v1/queues',
      );
      print(opts.json, queues, () => queuesTable(queues));
    },
  );

  common(
    program
      .command('submit')
      .description('submit a task: switchboard submit QUEUE \'{"json":"payload"}\'')
      .argument('<queue>', 'queue name')
      .argument('[payload]', 'JSON payload', 'null')
      .option('-p, --priority <level>', 'critical | high | normal | low')
      .option('--delay <ms>', 'run no earlier than this many ms from now', Number)
      .option('--attempts <n>', 'max attempts including the first', Number)
      .option('--timeout <ms>', 'limit for one attempt', Number)
      .option('--ttl <ms>', 'expire if not started within this many ms', Number)
      .option('--idempotency-key <key>', 'a second submit with the same key returns the first task')
      .option('--requires <caps>', 'comma-separated capabilities the worker must offer')
      .option('-w, --wait', 'wait for the result and print it')
      .option('--wait-timeout <ms>', 'how long --wait waits', Number, 60_000),
  ).action(async (queue: string, payloadText: string, opts) => {
    let payload: unknown;
    try {
      payload = JSON.parse(payloadText);
    } catch (err) {
      throw new CliError(`payload is not valid JSON: ${(err as Error).message}`, ExitCode.USAGE);
    }
    const spec: Record<string, unknown> = { queue, payload };
    if (opts.priority) spec.priority = opts.priority;
    if (opts.delay !== undefined) spec.delayMs = opts.delay;
    if (opts.attempts !== undefined) spec.maxAttempts = opts.attempts;
    if (opts.timeout !== undefined) spec.timeoutMs = opts.timeout;
    if (opts.ttl !== undefined) spec.ttlMs = opts.ttl;
    if (opts.idempotencyKey) spec.idempotencyKey = opts.idempotencyKey;
    if (opts.requires) spec.requires = String(opts.requires).split(',').filter(Boolean);
    const target = await resolve(opts);
    const sub = await hubRequest<{ id: string; duplicate: boolean }>(
      target,
      'POST',
      '/api/v1/tasks',
      spec,
    );
    if (!opts.wait) {
      print(
        opts.json,
        sub,
        () => `${sub.id}${sub.duplicate ? ' (duplicate: existing task returned)' : ''}`,
      );
      return;
    }
    const deadline = Date.now() + opts.waitTimeout;
    for (;;) {
      const task = await hubRequest<TaskJson>(
        target,
        'GET',
        `/api/v1/tasks/${encodeURIComponent(sub.id)}`,
      );
      if (['completed', 'dead', 'expired', 'cancelled'].includes(task.state)) {
        print(opts.json, task, () =>
          task.state === 'completed'
            ? JSON.stringify(task.result)
            : `${task.id} ${task.state}: ${task.error?.code ?? ''} ${task.error?.message ?? ''}`.trim(),
        );
        if (task.state !== 'completed') process.exitCode = ExitCode.TASK_FAILED;
        return;
      }
      if (Date.now() > deadline)
        throw new CliError(
          `task ${sub.id} still ${task.state} after ${opts.waitTimeout} ms`,
          ExitCode.FAILED,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  });
}
