/**
 * A task's result can reach the producer in the same read as the `submitted` reply that
 * names it (a fast worker on the same hub, a busy producer process): the producer must know
 * the id is its own before it handles that result, or `result(id)` waits for a push that
 * already came (with no result cache) and the id is tracked forever (with one).
 *
 * A scripted hub makes the race certain: it answers each submit with the reply and the
 * result in one socket write. Without a result cache, a result that came before anyone
 * awaited it is fetched again with a watch (what the hub answers for a finished task);
 * before the fix, no watch was sent and `result(id)` never settled.
 */
import { once } from 'node:events';
import t from 'tap';
import { WebSocketServer, type WebSocket } from 'ws';
import { Producer } from '../../index.js';
import { decodeRaw, encodeFrame, FrameType, PROTOCOL_VERSION } from '../../protocol/index.js';

async function scriptedHub(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  let n = 0;
  const results = new Map<string, unknown>();
  const resultFrame = (taskId: string) =>
    encodeFrame({
      t: FrameType.result,
      taskId,
      status: 'completed',
      result: results.get(taskId),
      attempts: 1,
    });
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data: Buffer) => {
      const f = decodeRaw(data) as {
        t: string;
        id: number;
        task?: { payload?: unknown };
        taskIds?: string[];
      };
      if (f.t === FrameType.hello) {
        ws.send(
          encodeFrame({
            t: FrameType.welcome,
            id: f.id,
            protocol: PROTOCOL_VERSION,
            sessionId: 's1',
            role: 'producer',
            hubVersion: 'scripted',
            heartbeatMs: 30_000,
            maxFrameBytes: 1 << 20,
          }),
        );
      } else if (f.t === FrameType.submit) {
        const taskId = `task-${++n}`;
        // One write holding both frames: the client reads them in one go.
        const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
        socket.cork();
        ws.send(encodeFrame({ t: FrameType.submitted, id: f.id, taskId, duplicate: false }));
        results.set(taskId, f.task?.payload);
        ws.send(resultFrame(taskId));
        socket.uncork();
      } else if (f.t === FrameType.watch) {
        // As the hub does: a watch of a finished task is answered with its result again.
        ws.send(encodeFrame({ t: FrameType.ack, id: f.id }));
        for (const id of f.taskIds ?? []) ws.send(resultFrame(id));
      }
    });
  });
  const address = wss.address() as { port: number };
  return `ws://127.0.0.1:${address.port}/`;
}

for (const resultCacheSize of [0, 100]) {
  t.test(`a result in the same read as its submit reply (cache ${resultCacheSize})`, async (t) => {
    const url = await scriptedHub(t);
    const producer = new Producer({ url, resultCacheSize, requestTimeoutMs: 2000 });
    t.teardown(() => producer.close());
    for (let n = 0; n < 20; n++) {
      const { id } = await producer.submit('echo', { n });
      t.same(await producer.result(id, { timeoutMs: 2000 }), { n }, `task ${n}: its result`);
    }
    const tracked = (producer as unknown as { sessionIds: Set<string> }).sessionIds.size;
    t.equal(tracked, 0, 'no finished task is still tracked');
  });
}
