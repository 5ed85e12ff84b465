import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { startCluster, REDIS_URL } from '../helpers/cluster.js';
import { cliCommand } from '../helpers/hub-process.js';
import { maxInWindow, Overlap } from '../helpers/limit-measure.js';
import { requireTool } from '../helpers/requires.js';
import { tempDir } from '../helpers/temp-dir.js';
import { sleep } from '../helpers/wait.js';

/**
 * Queue limits hold for the cluster, not per hub: one core on the leader decides every
 * start, so workers on two hubs share one rate and one concurrency cap. Measured at the
 * workers (receive times, handlers running at once).
 */

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const [cmd, argv] = cliCommand(args, false);
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

if (requireTool('redis')) {
  t.test('two hubs, workers on both: one rate, one concurrency cap', async (t) => {
    const dir = tempDir(t, 'sb-limits-');
    const config = path.join(dir, 'switchboard.yaml');
    // The cap comes from the config file (applied by whichever hub leads).
    writeFileSync(config, 'queues:\n  capped:\n    concurrency: 3\n');
    const c = await startCluster(t, 2, {}, REDIS_URL, [
      '--redis-url',
      REDIS_URL,
      '--config',
      config,
    ]);
    await c.start(0);
    await c.start(1);
    const lead = await c.leader();
    const edge = 1 - lead;
    const producer = new Producer({ url: c.hubs[edge]!.wsUrl });
    t.teardown(() => producer.close());
    await producer.submit('rated', 'create the queue');

    // The rate, set with the CLI through the edge (which forwards to the leader).
    const set = cli(['queue', 'limit', 'rated', '--rate', '50/s', '--url', c.hubs[edge]!.httpUrl]);
    t.equal(set.status, 0, set.stderr);
    t.match(set.stdout, /rated: rate 50\/1s/);
    const shown = cli(['queue', 'limit', 'capped', '--url', c.hubs[lead]!.httpUrl, '--json']);
    t.equal(shown.status, 0, shown.stderr);
    t.equal(JSON.parse(shown.stdout).concurrency, 3, 'the cap from the config file');

    // Rate: 50/s for 4 s, a worker on each hub.
    const received: { at: number; hub: number }[] = [];
    const rateWorkers = [0, 1].map(
      (hub) =>
        new Worker({ url: c.hubs[hub]!.wsUrl, queues: ['rated'], concurrency: 20 }, async () => {
          received.push({ at: Date.now(), hub });
          return null;
        }),
    );
    await producer.submitMany(
      Array.from({ length: 400 }, (_, i) => ({ queue: 'rated', payload: i })),
    );
    for (const w of rateWorkers) await w.start();
    t.teardown(() => Promise.all(rateWorkers.map((w) => w.close({ timeoutMs: 100 }))));
    const from = Date.now();
    await sleep(4000);
    const run = received.filter((r) => r.at >= from && r.at < from + 4000);
    const peak = maxInWindow(
      run.map((r) => r.at),
      1000,
    );
    t.ok(peak <= 51, `busiest 1 s window over both hubs' workers: ${peak} (limit 50)`);
    t.ok(run.length >= 180, `${run.length} received in 4 s (about 200 at 50/s)`);
    t.ok(
      run.some((r) => r.hub === 0) && run.some((r) => r.hub === 1),
      'workers on both hubs shared the rate',
    );

    // Concurrency 3 across both hubs' workers, 5 slots each.
    const overlap = new Overlap();
    const ranOn = [0, 0];
    const capWorkers = [0, 1].map(
      (hub) =>
        new Worker({ url: c.hubs[hub]!.wsUrl, queues: ['capped'], concurrency: 5 }, async () => {
          overlap.enter();
          ranOn[hub]!++;
          await sleep(30);
          overlap.leave();
          return null;
        }),
    );
    for (const w of capWorkers) await w.start();
    t.teardown(() => Promise.all(capWorkers.map((w) => w.close({ timeoutMs: 100 }))));
    const { ids } = await producer.submitMany(
      Array.from({ length: 60 }, (_, i) => ({ queue: 'capped', payload: i })),
    );
    await Promise.all(ids.map((id) => producer.result(id)));
    t.ok(overlap.max() <= 3, `at most 3 running at once across both hubs (peak ${overlap.max()})`);
    t.equal(overlap.max(), 3, 'and the cap was used');
    t.ok(ranOn[0]! > 0 && ranOn[1]! > 0, `both hubs' workers ran tasks (${ranOn.join(', ')})`);

    const metrics = await (await fetch(`${c.hubs[lead]!.httpUrl}/metrics`)).text();
    t.match(metrics, /switchboard_queue_limit\{queue="capped",limit="concurrency"\} 3/);
  });
}
