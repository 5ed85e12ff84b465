import t from 'tap';
import { ReadBatch } from '../../server/hub/read-batch.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('frames of one loop iteration are counted once, after the reads', async (t) => {
  const counted: number[] = [];
  const batch = new ReadBatch((n) => counted.push(n));
  for (let i = 0; i < 5; i++) batch.frame();
  t.same(counted, [], 'nothing counted while the reads go on');
  await nextTurn();
  t.same(counted, [5]);
  batch.frame();
  batch.frame();
  await nextTurn();
  t.same(counted, [5, 2], 'the next iteration is a batch of its own');
  await nextTurn();
  t.same(counted, [5, 2], 'an iteration without frames counts nothing');
});

t.test('the clock is read once per batch and moves on with the next', async (t) => {
  const batch = new ReadBatch(() => {});
  const first = batch.now();
  // Busy for a while within the same iteration: the batch's time stands still.
  const until = performance.now() + 5;
  while (performance.now() < until);
  t.equal(batch.now(), first);
  await nextTurn();
  t.ok(batch.now() > first, 'a later batch reads the clock again');
});
