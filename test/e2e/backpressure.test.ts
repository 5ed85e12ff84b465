import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { RawClient } from '../helpers/raw-client.js';

for (const transport of ['uws', 'ws'] as const) {
  t.test(
    `a worker that stops reading: assignments the socket refused are kept and delivered once it drains (${transport})`,
    async (t) => {
      const th = await startTestHub({
        transport,
        maxFrameBytes: 1 << 20,
        maxBackpressureBytes: 64 * 1024,
      });
      t.teardown(th.stop);
      const worker = await RawClient.open(th.wsUrl);
      t.teardown(() => worker.close());
      const socket = (worker.ws as unknown as { _socket: { pause(): void; resume(): void } })
        ._socket;
      worker.send({ t: 'register', id: 1, queues: ['big'], concurrency: 40 });
      await worker.next((f) => f.t === 'registered');
      socket.pause(); // the worker stops reading: the hub's socket buffer fills up

      const producer = await RawClient.open(th.wsUrl);
      t.teardown(() => producer.close());
      const blob = 'x'.repeat(100 * 1024);
      for (let k = 0; k < 8; k++) {
        producer.send({
          t: 'submit_many',
          id: 10 + k,
          tasks: Array.from({ length: 5 }, (_, j) => ({
            queue: 'big',
            payload: { i: k * 5 + j, blob },
          })),
        });
        await producer.next((f) => f.t === 'submitted_many' && f.id === 10 + k);
      }
      await new Promise((r) => setTimeout(r, 300));
      t.equal(th.hub.core.queue('big').leased, 40, 'all 40 leased to the worker (its slots)');
      t.equal(th.hub.core.queue('big').runnable, 0);

      socket.resume();
      const seen = new Set<number>();
      for (let i = 0; i < 40; i++) {
        const task = await worker.next((f) => f.t === 'task', 10_000);
        const p = task.payload as { i: number; blob: string };
        t.equal(p.blob.length, blob.length, `task ${p.i} arrived whole`);
        seen.add(p.i);
      }
      t.equal(seen.size, 40, 'every refused assignment was delivered after the drain, none twice');
    },
  );
}
