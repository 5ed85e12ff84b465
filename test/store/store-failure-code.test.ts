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
  const redis = storeFailure(new StoreError(StoreErrorCode.ENGINE_UNAVAILABLE, 'Redis away'));
  t.same(redis, { code: 'ENGINE_UNAVAILABLE', status: 503 }, 'Redis out of reach keeps its code');
});
