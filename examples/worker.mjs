// A worker: takes tasks from the queue "resize", reports a result, drains on SIGTERM/SIGINT.
// Run: node examples/worker.mjs ws://127.0.0.1:9500   (token in SWITCHBOARD_TOKEN outside dev)
import { Worker, UnrecoverableError } from 'switchboard';

const url = process.argv[2] ?? 'ws://127.0.0.1:9500';
const worker = new Worker(
  { url, token: process.env.SWITCHBOARD_TOKEN, queues: ['resize'], concurrency: 4 },
  async (task) => {
    const { width } = task.payload;
    // Not worth retrying: the hub dead-letters it at once instead of spending attempts.
    if (typeof width !== 'number') throw new UnrecoverableError('payload.width must be a number');
    task.progress(50);
    return { width: Math.round(width / 2) };
  },
);
worker.on('status', (s) => console.error('status', s.type));
worker.on('error', (e) => console.error('error', e.code ?? '', e.message));
await worker.start();
console.log('worker ready');

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    // close() drains: no new tasks, running ones finish (up to timeoutMs), then it disconnects.
    await worker.close({ timeoutMs: 10_000 });
    process.exit(0);
  });
}
