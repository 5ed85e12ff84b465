import t from 'tap';
import { ErrorCode } from '../../protocol/index.js';
import { storeFailure } from '../../server/gateway/store-failure.js';
import { StoreError, StoreErrorCode } from '../../server/store/errors.js';

t.test('the full-disk code the gateway knows is the one the stores raise', async (t) => {
  t.equal(StoreErrorCode.STORE_NO_SPACE, ErrorCode.STORE_NO_SPACE);
  const full = storeFailure(new StoreError(StoreErrorCode.STORE_NO_SPACE, 'disk full'));
  t.same(full, { code: 'STORE_FULL', status: 507 });
  const other = storeFailure(new StoreError(StoreErrorCode.STORE_IO, 'EIO'));
  t.same(other, { code: 'STORE_UNAVAILABLE', status: 503 });
});
