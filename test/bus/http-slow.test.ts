import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import t from 'tap';
import { Producer } from '../../client/index.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { SseClient } from '../helpers/sse-client.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function metric(th: TestHub, name: string): Promise<number> {
  const text = await (await fetch(`${th.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** Heap and buffers in use after a full collection: what the process holds on to. */
function held(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** An SSE subscriber that sends its request and then reads nothing until told to. */
function stalledReader(th: TestHub, path: string) {
  const socket = net.connect(Number(new URL(th.httpUrl).port), '127.0.0.1');
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n`);
  return {
    socket,
    text: () => text,
    async opened(): Promise<void> {
      while (!text.includes('event: subscribed')) await new Promise((r) => setTimeout(r, 5));
      socket.pause();
    },
  };
}

t.test(
  'a reader that stops reading: at-most-once dropped and counted, memory bounded, stored kept',
  async (t) => {
    const th = await startTestHub({ maxFrameBytes: 1 << 20 });
    t.teardown(th.stop);
    const pub = new Producer({ url: th.wsUrl });
    t.teardown(() => pub.close());
    const reader = stalledReader(th, '/api/v1/messages/stream?topic=flood.>');
    t.teardown(() => reader.socket.destroy());
    await reader.opened();

    const SIZE = 64 * 1024;
    const COUNT = 1000; // 64 MiB in all, far more than the socket's buffers hold
    const blob = 'x'.repeat(SIZE);
    const droppedBefore = await metric(th, 'switchboard_messages_dropped_total');
    const deliveredBefore = await metric(th, 'switchboard_messages_delivered_total');
    const base = held();
    let peak = 0;
    for (let n = 0; n < COUNT; n++) {
      await pub.publish('flood.data', { n, blob });
      if (n % 250 === 0) await pub.publish('flood.kept', `stored-${n}`, { qos: 'at-least-once' });
      if (n % 100 === 99) peak = Math.max(peak, held() - base);
    }
    const dropped = (await metric(th, 'switchboard_messages_dropped_total')) - droppedBefore;
    const delivered = (await metric(th, 'switchboard_messages_delivered_total')) - deliveredBefore;
    t.ok(dropped > COUNT / 2, `most of the flood was dropped (${dropped} of ${COUNT})`);
    // (The 4 stored ones are sent, or wait for a reconnect if the hub ended the stream to have
    // them confirmed: they are never dropped.)
    t.ok(
      delivered + dropped >= COUNT && delivered + dropped <= COUNT + 4,
      `every at-most-once message was either sent or counted as dropped (${delivered} + ${dropped})`,
    );
    t.ok(
      peak < 24 * 1024 * 1024,
      `the hub held at most ${(peak / 1048576).toFixed(1)} MiB more while 64 MiB went past a reader that reads nothing`,
    );

    // Once the reader reads again, the stored messages are there: they were never dropped.
    // (The hub may have ended the stream meanwhile to have them confirmed, as it does every
    // 5 s: then the rest come after a reconnect with the last id, as an EventSource does.)
    reader.socket.resume();
    const end = Date.now() + 10_000;
    const ended = (): boolean => reader.text().endsWith('\r\n0\r\n\r\n');
    while (!reader.text().includes('"stored-750"') && !ended() && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    const seen = new Set([...reader.text().matchAll(/"(stored-\d+)"/g)].map((m) => m[1]));
    if (!seen.has('stored-750')) {
      const ids = [...reader.text().matchAll(/^id: (\S+)$/gm)].map((m) => m[1]!);
      const again = new SseClient(`${th.httpUrl}/api/v1/messages/stream?topic=flood.>`, {
        lastEventId: ids.at(-1)!,
      });
      await again.start();
      t.teardown(() => again.close());
      await again.until((c) => c.messages.some((m) => m.data.data === 'stored-750'));
      for (const m of again.messages) if (typeof m.data.data === 'string') seen.add(m.data.data);
    }
    t.same(
      [...seen].sort(),
      ['stored-0', 'stored-250', 'stored-500', 'stored-750'],
      'every stored message arrived',
    );
  },
);
