import t from 'tap';
import { TokenBuckets } from '../../server/gateway/token-buckets.js';

t.test('a bucket gives its burst, then one token per 60/perMinute s', async (t) => {
  const b = new TokenBuckets(6, 2); // one token every 10 s
  t.equal(b.take('a', 0), 0);
  t.equal(b.take('a', 0), 0);
  t.equal(b.take('a', 0), 10_000, 'empty: 10 s until the next token');
  t.equal(b.take('a', 4_000), 6_000, 'a refusal takes nothing');
  t.equal(b.take('a', 10_000), 0);
  t.equal(b.take('b', 10_000), 0, 'another key has its own bucket');
  t.equal(b.take('a', 1_000_000), 0, 'refilled, but only up to the burst');
  t.equal(b.take('a', 1_000_000), 0);
  t.ok(b.take('a', 1_000_000) > 0);
});

t.test('a clock stepping back refills nothing and drains nothing', async (t) => {
  const b = new TokenBuckets(60, 1);
  t.equal(b.take('a', 100_000), 0);
  t.equal(b.take('a', 50_000), 1000, 'still one second to wait');
});

t.test('perMinute 0 is off; at most maxKeys buckets, least recently used dropped', async (t) => {
  const off = new TokenBuckets(0, 1);
  for (let i = 0; i < 100; i++) t.equal(off.take('a', 0), 0);
  t.equal(off.size, 0);
  const b = new TokenBuckets(1, 1, 2);
  b.take('a', 0);
  b.take('b', 0);
  b.take('a', 0); // refused, but used: 'b' is now the least recently used
  b.take('c', 0);
  t.equal(b.size, 2);
  t.ok(b.take('a', 0) > 0, "a's bucket was kept (still empty)");
  t.equal(b.take('b', 0), 0, "b's was dropped: it starts full again");
});
