import { execFileSync } from 'node:child_process';
import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { startTestHub } from '../helpers/hub.js';
import { requireTool } from '../helpers/requires.js';

if (requireTool('promtool'))
  t.test(
    'GET /metrics passes promtool check metrics, with traffic, and never labels by task or worker id',
    async (t) => {
      const th = await startTestHub({ processMetrics: true });
      t.teardown(th.stop);
      const worker = new Worker(
        { url: th.wsUrl, queues: ['emails', 'reports'], concurrency: 4 },
        async (task) => {
          if ((task.payload as { fail?: boolean }).fail) throw new Error('nope');
          return 1;
        },
      );
      await worker.start();
      const producer = new Producer({ url: th.wsUrl });
      t.teardown(async () => {
        await producer.close();
        await worker.close({ timeoutMs: 100 });
      });
      const { ids } = await producer.submitMany([
        { queue: 'emails', payload: {} },
        { queue: 'reports', payload: { fail: true }, maxAttempts: 1 },
        { queue: 'emails', payload: {}, delayMs: 60_000 },
      ]);
      await producer.result(ids[0]!);
      await producer.result(ids[1]!).catch(() => undefined);
      const text = await fetch(`${th.httpUrl}/metrics`).then((r) => r.text());
      const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      t.equal(out.trim(), '', 'promtool reports nothing');
      for (const name of [
        'switchboard_tasks_submitted_total',
        'switchboard_tasks_completed_total',
        'switchboard_tasks_dead_lettered_total',
        'switchboard_queue_depth',
        'switchboard_queue_delayed',
        'switchboard_assignment_latency_seconds_bucket',
        'switchboard_task_run_seconds_bucket',
        'switchboard_workers',
        'switchboard_wal_fsync_seconds_bucket',
        'switchboard_process_cpu_seconds_total',
      ]) {
        t.match(text, new RegExp(`^${name}`, 'm'), `exports ${name}`);
      }
      t.match(text, /switchboard_tasks_completed_total\{queue="emails"\} 1/);
      t.match(text, /switchboard_queue_delayed\{queue="emails"\} 1/);
      for (const id of [...ids, worker.id])
        t.notOk(text.includes(id), `no series carries the id ${id}`);
    },
  );
