import t from 'tap';
import { Producer, Worker } from '../../index.js';
import { hubProcess } from '../helpers/hub-process.js';

const RELEASED = /idle: memory released/g;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test(
  'after a burst the idle hub returns memory once, not over and over, and keeps serving',
  async (t) => {
    const h = await hubProcess(t, {
      preset: 'development',
      env: {
        SWITCHBOARD_IDLE_MEMORY_RELEASE_MS: '1000',
        // Heartbeats every 300 ms keep arriving while idle: they must not count as activity.
        SWITCHBOARD_HEARTBEAT_INTERVAL_MS: '300',
        SWITCHBOARD_LOG_LEVEL: 'debug',
      },
    });
    const hub = await h.start();
    const url = h.wsUrl;
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
    const burst = async (n: number, pad = 0) => {
      const { ids } = await producer.submitMany(
        Array.from({ length: n }, (_, i) => ({
          queue: 'burst',
          payload: { i, pad: 'x'.repeat(pad) },
        })),
      );
      const results = (await Promise.all(ids.map((id) => producer.result(id)))) as { i: number }[];
      return results.every((r, i) => r.i === i);
    };
    const released = () => hub.output().match(RELEASED)?.length ?? 0;

    t.ok(await burst(2000), 'first burst: every result correct');
    t.equal(released(), 0, 'nothing released while busy');
    // Idle for 1 s (checked once a second), then released; heartbeats are not activity.
    await sleep(4000);
    t.equal(released(), 1, 'released once after going idle');
    t.match(hub.output(), /rssBeforeMb/, 'the log says how much was held');

    t.ok(await burst(20), 'the hub serves normally after a release');
    await sleep(3000);
    t.equal(released(), 1, 'a trickle that did not grow memory earns no new collection');

    // 20,000 results of 2 KB kept for lookups: tens of MB more than after the release.
    let all = true;
    for (let k = 0; k < 100; k++) all = (await burst(200, 2048)) && all;
    t.ok(all, 'a big burst');
    await sleep(4000);
    t.equal(released(), 2, 'a burst that grew memory is followed by one more release');
  },
);
