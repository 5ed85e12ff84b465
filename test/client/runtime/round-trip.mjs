// Run by test/client/runtimes.test.ts under another Node release: the built package, imported
// by name, as a user's worker and producer would. Prints one JSON line of what it saw.
import { Producer, Worker } from 'switchboard';

const [url, count] = [process.argv[2], Number(process.argv[3] ?? 20)];
const worker = new Worker({ url, queues: ['runtime'], concurrency: 8 }, async (task) => {
  task.progress({ half: true });
  return { n: task.payload.n, squared: task.payload.n * task.payload.n };
});
const producer = new Producer({ url });
const states = [];
(async () => {
  for await (const s of worker.status()) states.push(s.type);
})();
await worker.start();
const progress = [];
producer.on('progress', (p) => progress.push(p));
const submitted = await Promise.all(
  Array.from({ length: count }, (_, n) => producer.submit('runtime', { n })),
);
const results = await Promise.all(submitted.map(({ id }) => producer.result(id)));
const stats = worker.stats();
await producer.close();
await worker.close({ timeoutMs: 1000 });
process.stdout.write(
  JSON.stringify({
    version: process.version,
    globalWebSocket: typeof globalThis.WebSocket,
    results,
    completed: stats.completed,
    states,
    progressEvents: progress.length,
  }) + '\n',
);
