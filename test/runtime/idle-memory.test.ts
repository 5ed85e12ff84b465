import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { freePort } from '../helpers/free-port.js';
import { startHubChild } from '../helpers/hub-process.js';

const RELEASED = /idle: memory released/g;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test(
  'after a burst the idle hub returns memory once, not over and over, and keeps serving',
  async (t) => {
    const wsPort = await freePort();
    const httpPort = await freePort();
    const hub = await startHubChild(
      ['--preset', 'development', '--port', String(wsPort), '--http-port', String(httpPort)],
      {
        SWITCHBOARD_IDLE_MEMORY_RELEASE_MS: '1000',
        // Heartbeats every 300 ms keep arriving while idle: they must not count as activity.
        SWITCHBOARD_HEARTBEAT_INTERVAL_MS: '300',
        SWITCHBOARD_LOG_LEVEL: 'debug',
      },
      httpPort,
    );
    t.teardown(() => {
      hub.proc.kill('SIGKILL');
    });
    const url = `ws://127.0.0.1:${wsPort}`;
    const worker = new Worker(
      { url, queues: ['burst'], concurrency: 50 },
      async (task) => task.payload,
    );
    await worker.start();
    const producer = new Producer({ url });
    t.teardown(async () => {
      await producer.close();
      await worker.close({ timeoutMs: 100 });
    });
    const burst = async (n: number) => {
      const { ids } = await producer.submitMany(
        Array.from({ length: n }, (_, i) => ({ queue: 'burst', payload: i })),
      );
      const results = await Promise.all(ids.map((id) => producer.result(id)));
      return results.every((r, i) => r === i);
    };

    t.ok(await burst(2000), 'first burst: every result correct');
    t.equal(hub.output().match(RELEASED)?.length ?? 0, 0, 'nothing released while busy');
    // Idle for 1 s (checked once a second), then released; heartbeats are not activity.
    await sleep(4000);
    t.equal(hub.output().match(RELEASED)?.length, 1, 'released once after going idle');
    t.match(hub.output(), /rssBeforeMb/, 'the log says how much was held');

    t.ok(await burst(500), 'the hub serves normally after a release');
    await sleep(4000);
    t.equal(hub.output().match(RELEASED)?.length, 2, 'one more release after the next burst');
  },
);
