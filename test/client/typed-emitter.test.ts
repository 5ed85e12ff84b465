/**
 * The SDK's own event emitter (it replaced node:events so the SDK runs in browsers): the
 * order, once, off and mid-emit changes behave as EventEmitter's do, and an 'error' nobody
 * listens to is dropped rather than thrown.
 */
import t from 'tap';
import { TypedEmitter } from '../../client/typed-emitter.js';

class Emitter extends TypedEmitter<{ ping: number; error: Error }> {
  fire<K extends 'ping' | 'error'>(event: K, payload: { ping: number; error: Error }[K]): void {
    this.emit(event, payload);
  }
}

t.test('listeners run in the order added; once runs once; off removes', async (t) => {
  const e = new Emitter();
  const seen: string[] = [];
  const a = (n: number) => seen.push(`a${n}`);
  e.on('ping', a);
  e.once('ping', (n) => seen.push(`once${n}`));
  e.on('ping', (n) => seen.push(`b${n}`));
  e.fire('ping', 1);
  e.fire('ping', 2);
  e.off('ping', a);
  e.fire('ping', 3);
  t.same(seen, ['a1', 'once1', 'b1', 'a2', 'b2', 'b3']);
  t.equal(e.listenerCount('ping'), 1);
});

t.test('off with a once listener removes it before it runs', async (t) => {
  const e = new Emitter();
  let calls = 0;
  const l = () => calls++;
  e.once('ping', l);
  e.off('ping', l);
  e.fire('ping', 1);
  t.equal(calls, 0);
});

t.test('a listener added or removed during an emit takes effect from the next one', async (t) => {
  const e = new Emitter();
  const seen: string[] = [];
  const late = () => seen.push('late');
  const second = () => seen.push('second');
  e.on('ping', () => {
    seen.push('first');
    e.on('ping', late);
    e.off('ping', second);
  });
  e.on('ping', second);
  e.fire('ping', 1);
  t.same(seen, ['first', 'second'], 'the emit in progress used the list it started with');
  seen.length = 0;
  e.fire('ping', 2);
  t.same(seen, ['first', 'late']);
});

t.test(
  "an 'error' without listeners is dropped; a throwing listener reaches the caller",
  async (t) => {
    const e = new Emitter();
    t.doesNotThrow(() => e.fire('error', new Error('nobody listens')));
    e.on('ping', () => {
      throw new Error('boom');
    });
    t.throws(() => e.fire('ping', 1), /boom/);
  },
);
