/**
 * A session's outgoing frames (server/hub/session.ts) with a real hub and real clients: what
 * the socket refuses is kept and sent in order on drain (test/e2e/backpressure.test.ts shows
 * every task arrives); past its bound the hub stops keeping them and closes the session with
 * 4009, and the tasks that worker held go to another worker.
 */
import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { RawClient } from '../helpers/raw-client.js';

for (const transport of ['uws', 'ws'] as const) {
  t.test(
    `a worker that never reads is closed with 4009 and its tasks go elsewhere (${transport})`,
    async (t) => {
      const th = await startTestHub({
        transport,
        maxFrameBytes: 1 << 20,
        // The backlog bound is 16x this: 256 KiB of refused frames.
        maxBackpressureBytes: 16 * 1024,
        core: { disconnectGraceMs: 200, heartbeatTimeoutMs: 30_000 },
      });
      t.teardown(th.stop);
      const stuck = await RawClient.open(th.wsUrl);
      t.teardown(() => stuck.terminate());
      const socket = (stuck.ws as unknown as { _socket: { pause(): void; resume(): void } })
        ._socket;
      stuck.send({ t: 'register', id: 1, queues: ['big'], concurrency: 200, workerId: 'stuck' });
      await stuck.next((f) => f.t === 'registered');
      socket.pause();

      const producer = await RawClient.open(th.wsUrl);
      t.teardown(() => producer.close());
      const blob = 'x'.repeat(100 * 1024);
      // 20 MB of assignments: more than the kernel's socket buffers and the bound together.
      for (let k = 0; k < 40 && th.hub.connections === 2; k++) {
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
      const deadline = Date.now() + 10_000;
      while (th.hub.connections > 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      t.equal(th.hub.connections, 1, 'the hub let go of the worker that does not read');
      socket.resume();
      const code = await stuck.closed(10_000).catch(() => undefined);
      // The close frame queues behind megabytes the peer never read; a peer that reads on
      // sees 4009, one that does not simply loses the connection.
      if (code !== undefined && code !== 1006) {
        t.equal(code, 4009, 'closed as protocol abuse');
        t.equal(stuck.closeReason, 'too many unread frames');
      }

      const helper = await RawClient.open(th.wsUrl);
      t.teardown(() => helper.close());
      helper.send({ t: 'register', id: 1, queues: ['big'], concurrency: 1, workerId: 'helper' });
      await helper.next((f) => f.t === 'registered');
      const task = await helper.next((f) => f.t === 'task', 10_000);
      t.equal(
        (task.payload as { blob: string }).blob.length,
        blob.length,
        'another worker gets the work',
      );
      t.notOk(th.hub.core.workers.get('stuck')?.connected, 'the stuck worker is not connected');
    },
  );
}
