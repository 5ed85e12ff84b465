import t from 'tap';
import { Producer } from '../../client/index.js';
import { hubProcess } from '../helpers/hub-process.js';
import { restCall } from '../helpers/rest-call.js';
import { SseClient } from '../helpers/sse-client.js';
import { sleep } from '../helpers/wait.js';
import { tempDir } from '../helpers/temp-dir.js';

t.test(
  'a durable SSE subscription resumes across a hub SIGKILL: every message at least once',
  async (t) => {
    const dir = tempDir(t, 'sb-bushttp-');
    const h = await hubProcess(t, {
      preset: 'development',
      args: ['--store', 'wal'],
      dataDir: dir,
    });
    let child = await h.start();

    const c = new SseClient(
      `${h.httpUrl}/api/v1/messages/stream?topic=pay.>&durable=survivor&maxInFlight=10`,
    );
    await c.start();
    t.teardown(() => c.close());
    await c.until((c) => c.events.length > 0);

    const pub = new Producer({ url: h.wsUrl });
    for (let n = 1; n <= 25; n++) await pub.publish('pay.in', n, { qos: 'at-least-once' });
    await pub.close();
    await c.until((c) => c.messages.length >= 25);
    await c.drop();
    const before = c.messages.map((m) => m.data.data as number);
    t.same(
      before,
      Array.from({ length: 25 }, (_, i) => i + 1),
      'all 25 over SSE before the crash',
    );
    await sleep(300); // the acks of the confirmed windows reach the log
    child.proc.kill('SIGKILL');
    await child.exited;

    child = await h.start();
    for (let n = 26; n <= 30; n++) {
      const r = await restCall(`${h.httpUrl}/api/v1/messages`, 'POST', {
        body: { topic: 'pay.in', data: n, qos: 'at-least-once' },
      });
      t.equal(r.status, 200, `message ${n} stored after the restart`);
    }
    await c.resume(); // Last-Event-ID: message 25's id
    await c.until((c) => c.messages.some((m) => m.data.data === 30));
    await sleep(300);
    const after = c.messages.slice(25).map((m) => m.data.data as number);
    t.match(
      c.events.filter((e) => e.event === 'subscribed').at(-1),
      { data: { resumed: false } },
      'the new hub process says it could not continue the old stream',
    );
    t.same(
      [...new Set([...before, ...after])].sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, i) => i + 1),
      'no message lost',
    );
    const again = after.filter((n) => n <= 25);
    t.ok(
      again.every((n) => n > 20 && n < 25),
      `delivered again: only what was not confirmed when the hub died (${again.join(',') || 'none'}); 1-20 were confirmed, 25 was the id the client named`,
    );
    t.same(
      after.filter((n) => n > 25),
      [26, 27, 28, 29, 30],
      'then what was published after the restart',
    );
    child.proc.kill('SIGTERM');
    await child.exited;
  },
);
