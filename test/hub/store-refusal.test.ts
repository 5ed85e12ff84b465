import t from 'tap';
import { VolatileStore } from '../../server/hub/hub-store.js';
import { StoreError, StoreErrorCode } from '../../server/store/errors.js';
import { startTestHub } from '../helpers/hub.js';
import { RawClient } from '../helpers/raw-client.js';

/** A store that refuses new records with `code` while `refusing` is set (Redis away, fenced). */
class RefusingStore extends VolatileStore {
  refusing: StoreErrorCode | undefined;
  prepare(): void {
    if (this.refusing) throw new StoreError(this.refusing, 'refused by the test');
  }
}

for (const code of [StoreErrorCode.ENGINE_UNAVAILABLE, StoreErrorCode.FENCED]) {
  t.test(
    `a store refusing with ${code}: ENGINE_UNAVAILABLE on WS and HTTP, nothing changes`,
    async (t) => {
      const store = new RefusingStore();
      const th = await startTestHub({ store });
      t.teardown(th.stop);
      const c = await RawClient.open(th.wsUrl);
      t.teardown(() => c.close());
      store.refusing = code;
      c.send({ t: 'submit', id: 2, task: { queue: 'q', payload: 1 } });
      const err = await c.next((f) => f.id === 2);
      t.match(
        err,
        { t: 'error', code: 'ENGINE_UNAVAILABLE' },
        'an error frame with the code, not INTERNAL',
      );
      const res = await fetch(`${th.httpUrl}/api/v1/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ queue: 'q', payload: 1 }),
      });
      t.equal(res.status, 503);
      t.match(await res.json(), { error: { code: 'ENGINE_UNAVAILABLE' } });
      t.equal(th.hub.core.tasks.size, 0, 'no task was created');
      store.refusing = undefined;
      c.send({ t: 'submit', id: 3, task: { queue: 'q', payload: 1 } });
      t.match(
        await c.next((f) => f.id === 3),
        { t: 'submitted' },
        'accepted again once the store takes records',
      );
    },
  );
}
