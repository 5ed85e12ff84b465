import { spawnSync } from 'node:child_process';
import t from 'tap';
import { Worker } from '../../index.js';
import { startCluster } from '../helpers/cluster.js';
import { cliCommand } from '../helpers/hub-process.js';
import { restCall } from '../helpers/rest-call.js';
import { requireTool } from '../helpers/requires.js';
import { sleep } from '../helpers/wait.js';

/**
 * On the Redis engine only the leader's core fires: a schedule made through an edge makes one
 * task per occurrence, not one per hub, and a leader that dies leaves its successor to go
 * on from the last fire on record, repeating none.
 */

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const [cmd, argv] = cliCommand(args, false);
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The occurrence a schedule's task was made for: its id is `<schedule id>.<ms in base 36>`. */
const occurrenceOf = (taskId: string): number =>
  parseInt(taskId.slice(taskId.lastIndexOf('.') + 1), 36);

if (requireTool('redis')) {
  t.test('two hubs: one task per occurrence, across a leader failover', async (t) => {
    const c = await startCluster(t, 2);
    await c.start(0);
    await c.start(1);
    const lead = await c.leader();
    const edge = 1 - lead;

    const received: { id: string; hub: number; at: number }[] = [];
    const workers = [0, 1].map(
      (hub) =>
        new Worker(
          {
            url: [c.hubs[hub]!.wsUrl, c.hubs[1 - hub]!.wsUrl],
            queues: ['beats'],
            concurrency: 4,
            reconnect: { initialDelayMs: 50, maxDelayMs: 250 },
          },
          async (task) => {
            received.push({ id: task.id, hub, at: Date.now() });
            return null;
          },
        ),
    );
    for (const w of workers) {
      w.on('error', () => undefined);
      await w.start();
    }
    t.teardown(() => Promise.all(workers.map((w) => w.close({ timeoutMs: 100 }))));

    // Made with the CLI through the edge, which forwards to the leader.
    const add = cli([
      'schedule',
      'add',
      'beat',
      '--cron',
      '* * * * * *',
      '--queue',
      'beats',
      '--payload',
      '{"beat":true}',
      '--url',
      c.hubs[edge]!.httpUrl,
    ]);
    t.equal(add.status, 0, add.stderr);
    const from = Date.now();
    await sleep(5000);
    const steady = received.filter((r) => r.at >= from + 500 && r.at < from + 4500).length;
    t.ok(
      steady >= 3 && steady <= 5,
      `4 s with two hubs: ${steady} tasks (one per second, not two)`,
    );

    // The leader dies; the edge takes over (lease 1 s) and goes on from the last fire.
    c.children[lead]!.proc.kill('SIGKILL');
    await c.children[lead]!.exited;
    const next = await c.leader(15_000);
    t.equal(next, edge, 'the edge leads now');
    await sleep(4000);
    const api = (path: string, method = 'GET') =>
      restCall(`${c.hubs[edge]!.httpUrl}/api/v1${path}`, method);
    const beat = (await api('/schedules/beat/pause', 'POST')).json;
    t.equal(beat.paused, true);
    await sleep(500);

    const tasks = (await api('/tasks?queue=beats&limit=1000')).json.tasks as { id: string }[];
    t.equal(tasks.length, beat.fires, 'every fire on record made one task');
    const occurrences = tasks.map((x) => occurrenceOf(x.id));
    t.equal(new Set(occurrences).size, occurrences.length, 'no occurrence made two tasks');
    const sorted = [...occurrences].sort((a, b) => a - b);
    t.ok(
      sorted.every((at, i) => i === 0 || at - sorted[i - 1]! >= 1000),
      'occurrences one second apart or more',
    );
    t.ok(
      sorted.every((at) => at % 1000 === 0),
      'each is a whole second, as the expression says',
    );
    const span = (sorted.at(-1)! - sorted[0]!) / 1000 + 1;
    t.ok(
      tasks.length <= span,
      `${tasks.length} tasks over ${span} s: never more than one a second`,
    );
    // The seconds between the leader's death and its successor's start are missed: run-once
    // makes one task for them, so a few seconds have none (the takeover, under load).
    t.ok(tasks.length >= span - 8, `${span - tasks.length} seconds without a task (the takeover)`);
    const seen = new Set(received.map((r) => r.id));
    for (const x of tasks) t.ok(seen.has(x.id), `task ${x.id} reached a worker`);
  });
}
