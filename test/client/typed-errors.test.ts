import t from 'tap';
import {
  AuthError,
  ConflictError,
  ErrorCode,
  ForbiddenError,
  HubError,
  InvalidRequestError,
  NotFoundError,
  Producer,
  RateLimitError,
  StoreError,
  SwitchboardError,
  UnavailableError,
} from '../../index.js';
import { mintToken } from '../../server/auth/index.js';
import { errorEntry } from '../../protocol/index.js';
import { startTestHub } from '../helpers/hub.js';

/** What the SDK rejects with when a real hub refuses: the subclass of the code's family. */
const SECRET = 'typed-errors-secret-typed-errors-0001';
const fast = { initialDelayMs: 20, maxDelayMs: 200 };

t.test('a refused submit rejects with the subclass of its code', async (t) => {
  const th = await startTestHub({ auth: { enabled: true, secret: SECRET } });
  t.teardown(th.stop);
  const token = await mintToken(SECRET, { role: 'producer', queues: ['a'] });
  const producer = new Producer({ url: th.wsUrl, token });
  t.teardown(() => producer.close());

  const forbidden = await producer.submit('b', 1).catch((e: unknown) => e);
  t.type(forbidden, ForbiddenError, 'a queue outside the token: ForbiddenError');
  t.type(forbidden, AuthError, 'which is an AuthError');
  t.type(forbidden, HubError);
  t.type(forbidden, SwitchboardError);
  const f = forbidden as ForbiddenError;
  t.equal(f.code, ErrorCode.FORBIDDEN);
  t.equal(f.hubCode, 'FORBIDDEN');
  t.equal(f.name, 'ForbiddenError');
  t.equal(f.closeCode, undefined, 'an error frame, not a close');
  t.equal(f.retryable, false);
  t.equal(f.status, 403, 'the status the same refusal has over HTTP');
  t.equal(f.fix, errorEntry('FORBIDDEN')!.fix, 'the fix sentence from the registry');
  t.match(f.message, /queue b/);

  const invalid = await producer
    .submit('a', 1, { priority: 'urgent' as 'high' })
    .catch((e: unknown) => e);
  t.type(invalid, InvalidRequestError, 'a bad field: InvalidRequestError');
  t.equal((invalid as HubError).code, ErrorCode.INVALID_FRAME);
  t.match((invalid as Error).message, /priority/);

  const missing = await producer.cancel('no-such-task').catch((e: unknown) => e);
  t.type(missing, NotFoundError, 'cancel of an unknown task: NotFoundError');
  t.equal((missing as HubError).code, ErrorCode.TASK_NOT_FOUND);
  t.equal((missing as HubError).taskId, 'no-such-task', 'the error names the task');

  const { id } = await producer.submit('a', 1);
  t.equal(th.hub.core.tasks.size, 1, 'only the good submit was taken');
  await producer.cancel(id);
  const again = await producer.cancel(id).catch((e: unknown) => e);
  t.type(again, ConflictError, 'cancel of a cancelled task: ConflictError');
  t.equal((again as HubError).code, ErrorCode.INVALID_STATE);
});

t.test('a too-large batch is an InvalidRequestError before it is sent', async (t) => {
  const th = await startTestHub(); // maxFrameBytes 64 KB
  t.teardown(th.stop);
  const producer = new Producer({ url: th.wsUrl });
  t.teardown(() => producer.close());
  await producer.submit('q', 'warm-up'); // the limit is learnt from welcome
  const err = await producer
    .submitMany(Array.from({ length: 200 }, () => ({ queue: 'q', payload: 'x'.repeat(1024) })))
    .catch((e: unknown) => e);
  t.type(err, InvalidRequestError);
  t.equal((err as HubError).code, ErrorCode.FRAME_TOO_LARGE);
  t.equal(th.hub.core.tasks.size, 1, 'nothing of the batch was stored');
});

t.test('a refused token is an AuthError with its close code', async (t) => {
  const th = await startTestHub({ auth: { enabled: true, secret: SECRET } });
  t.teardown(th.stop);
  const producer = new Producer({ url: th.wsUrl, token: 'not-a-jwt', reconnect: fast });
  t.teardown(() => producer.close());
  const err = await producer.submit('q', 1).catch((e: unknown) => e);
  t.type(err, AuthError);
  t.notOk(err instanceof ForbiddenError, 'a bad token is not a missing permission');
  t.equal((err as AuthError).code, ErrorCode.UNAUTHORIZED);
  t.equal((err as AuthError).closeCode, 4001);
});

t.test('fromFrame: families, and codes this SDK does not know', async (t) => {
  const of = (code: string) => HubError.fromFrame({ code, message: 'm' });
  t.type(of('STORE_FULL'), StoreError);
  t.type(of('STORE_FULL'), UnavailableError, 'a store failure is retried like unavailability');
  t.equal(of('STORE_FULL').retryable, true);
  t.type(of('SHUTTING_DOWN'), UnavailableError);
  t.notOk(of('SHUTTING_DOWN') instanceof StoreError);
  t.type(of('RATE_LIMITED'), RateLimitError);
  t.equal(of('INVALID_FRAME').retryable, false);
  const future = of('QUOTA_EXCEEDED');
  t.equal(future.constructor, HubError, 'an unknown code is a plain HubError');
  t.equal(future.code, ErrorCode.UNKNOWN_CODE, 'code stays a registry code');
  t.equal(future.hubCode, 'QUOTA_EXCEEDED', 'the wire code is kept');
  t.match(future.message, /QUOTA_EXCEEDED: m/);
  const notWire = of('STORE_LOCKED');
  t.equal(
    notWire.code,
    ErrorCode.UNKNOWN_CODE,
    'a registry code the hub never sends is unknown too',
  );
  const closed = AuthError.fromClose(4003, 'refused');
  t.type(closed, ForbiddenError);
  t.equal(closed.closeCode, 4003);
  t.equal(AuthError.fromClose(4004, 'x').code, ErrorCode.TOKEN_REVOKED);
  t.equal(AuthError.fromClose(4005, 'x').code, ErrorCode.TOKEN_EXPIRED);
  t.equal(AuthError.fromClose(4000, 'x').code, ErrorCode.UNSUPPORTED_PROTOCOL);
});
