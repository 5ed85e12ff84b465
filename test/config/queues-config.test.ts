import t from 'tap';
import { configSchema, queueLimitsOf } from '../../server/config/index.js';

/** `queues.<name>` of the config file: limits in the CLI's spelling (docs/rate-limits.md). */

t.test('rates as N/DURATION or as the REST object; groups need both fields', async (t) => {
  const c = configSchema.parse({
    queues: {
      emails: { rate: '100/s', concurrency: 20, groupKey: 'tenant', groupConcurrency: 2 },
      api: { rate: { count: 5, perMs: 500, burst: 5 } },
      slow: { rate: '1000/1m' },
    },
  });
  t.same(queueLimitsOf(c.queues.emails!), {
    rate: { count: 100, perMs: 1000 },
    concurrency: 20,
    group: { key: 'tenant', concurrency: 2 },
  });
  t.same(queueLimitsOf(c.queues.api!), { rate: { count: 5, perMs: 500, burst: 5 } });
  t.same(queueLimitsOf(c.queues.slow!), { rate: { count: 1000, perMs: 60_000 } });
  t.same(configSchema.parse({}).queues, {}, 'no queues section: no limits');
  for (const bad of [
    { q: { rate: '100 per second' } },
    { q: { rate: '0/s' } },
    { q: { rate: { count: 10, perMs: 1000, burst: 20 } } },
    { q: { groupKey: 'tenant' } },
    { q: { concurrency: 0 } },
    { q: { burst: 3 } },
  ]) {
    t.notOk(configSchema.safeParse({ queues: bad }).success, `refused: ${JSON.stringify(bad)}`);
  }
});
