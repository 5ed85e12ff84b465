// A producer: submits tasks to "resize", waits for each result, shows errors by code.
// Run: node examples/producer.mjs ws://127.0.0.1:9500   (with examples/worker.mjs running)
import { Producer, HubError, TaskFailedError } from 'switchboard';

const url = process.argv[2] ?? 'ws://127.0.0.1:9500';
const producer = new Producer({ url, token: process.env.SWITCHBOARD_TOKEN });
try {
  const { id } = await producer.submit('resize', { width: 640 }, { maxAttempts: 3 });
  console.log('result', JSON.stringify(await producer.result(id, { timeoutMs: 10_000 })));

  const bad = await producer.submit('resize', { width: 'wide' });
  try {
    await producer.result(bad.id, { timeoutMs: 10_000 });
  } catch (e) {
    if (e instanceof TaskFailedError) console.log('failed', e.status, e.code);
    else throw e;
  }
} catch (e) {
  // Every refusal from the hub carries a registry code, its HTTP status and a fix sentence.
  if (e instanceof HubError) console.error(e.code, e.status, e.fix);
  throw e;
} finally {
  await producer.close();
}
