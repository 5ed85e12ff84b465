import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { mintToken } from '../../server/auth/index.js';
import { hubProcess, type HubChild } from '../helpers/hub-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const KILLS = Number(process.env.SWITCHBOARD_CRASH_KILLS ?? 20);
const SECRET = 'crash-test-secret-crash-test-secret-01';

t.test(
  `crash test: SIGKILL the durable hub ${KILLS} times under load; no acknowledged task is lost or re-run after completion`,
  { timeout: 600_000 },
  async (t) => {
    const dir = tempDir(t, 'sb-crash-');
    const h = await hubProcess(t, {
      preset: 'production',
      dataDir: dir,
      env: {
        SWITCHBOARD_AUTH_SECRET: SECRET,
        SWITCHBOARD_DISCONNECT_GRACE_MS: '200',
        SWITCHBOARD_HEARTBEAT_INTERVAL_MS: '500',
      },
    });
    let hub: HubChild = await h.start();

    const url = h.wsUrl;
    const reconnect = { initialDelayMs: 20, maxDelayMs: 250 };
    const producerToken = await mintToken(SECRET, { role: 'producer' });
    const workerToken = await mintToken(SECRET, { role: 'worker' });

    const acked = new Set<string>();
    const seenCompleted = new Set<string>();
    const resultWaits: Promise<void>[] = [];
    let executions = 0;
    let rerunAfterCompletion = 0;
    const executedIds = new Set<string>();
    let duplicateExecutions = 0;

    const workers = [1, 2].map(
      (n) =>
        new Worker(
          {
            url,
            token: workerToken,
            queues: ['crash'],
            concurrency: 8,
            workerId: `crash-worker-${n}`,
            reconnect,
          },
          async (task) => {
            executions++;
            if (seenCompleted.has(task.id)) rerunAfterCompletion++;
            if (executedIds.has(task.id)) duplicateExecutions++;
            executedIds.add(task.id);
            await new Promise((r) => setTimeout(r, Math.random() * 3));
            return { n: (task.payload as { n: number }).n };
          },
        ),
    );
    for (const w of workers) w.on('error', () => undefined);
    await Promise.all(workers.map((w) => w.start()));
    const producer = new Producer({ url, token: producerToken, reconnect });
    producer.on('error', () => undefined);
    t.teardown(async () => {
      await producer.close();
      await Promise.all(workers.map((w) => w.close({ timeoutMs: 100 })));
    });

    let running = true;
    let n = 0;
    const submitter = (async () => {
      while (running) {
        const batch = Array.from({ length: 5 }, () => ({ queue: 'crash', payload: { n: n++ } }));
        try {
          const { ids } = await producer.submitMany(batch);
          for (const id of ids) {
            acked.add(id);
            resultWaits.push(
              producer.result(id).then(() => {
                seenCompleted.add(id);
              }),
            );
          }
        } catch {
          // The hub died mid-request: not acknowledged, so not promised. Try again.
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    })();

    for (let kill = 1; kill <= KILLS; kill++) {
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 450));
      hub.proc.kill('SIGKILL');
      await hub.exited;
      hub = await h.start();
    }
    running = false;
    await submitter;

    // Every acknowledged task must now complete (none lost); wait for all results.
    const all = Promise.all(resultWaits);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out waiting for results')), 60_000);
    });
    t.teardown(() => clearTimeout(timer));
    await Promise.race([all, timeout]).catch(async (err: Error) => {
      const missing = [...acked].filter((id) => !seenCompleted.has(id));
      const states: Record<string, string> = {};
      for (const id of missing.slice(0, 10)) {
        const res = await fetch(`${h.httpUrl}/api/v1/tasks/${id}`, {
          headers: { authorization: `Bearer ${await mintToken(SECRET, { role: 'admin' })}` },
        });
        states[id] =
          res.status === 200
            ? ((await res.json()) as { state: string }).state
            : `HTTP ${res.status}`;
      }
      t.fail(
        `${err.message}: ${missing.length} acked tasks without a result; first states ${JSON.stringify(states)}`,
      );
    });

    t.comment(
      `kills: ${KILLS}, tasks acked: ${acked.size}, completed: ${seenCompleted.size}, executions: ${executions}, re-executions (at-least-once): ${duplicateExecutions}`,
    );
    t.ok(acked.size > KILLS * 10, `the producer kept submitting (${acked.size} acked)`);
    t.equal(
      [...acked].filter((id) => !seenCompleted.has(id)).length,
      0,
      'no acknowledged task was lost',
    );
    t.equal(rerunAfterCompletion, 0, 'no task the producer saw as completed was handed out again');
  },
);
