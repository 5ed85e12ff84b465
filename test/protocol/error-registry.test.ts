import { STATUS_CODES } from 'node:http';
import t from 'tap';
import {
  ErrorCode,
  TaskErrorCode,
  errorEntry,
  errorRegistry,
  statusOfCode,
  type ErrorEntry,
} from '../../protocol/index.js';
import { HubError } from '../../client/index.js';
import { ExitCode } from '../../server/support/exit-codes.js';
import { NodeErrorCode } from '../../server/nodes/errors.js';
import { StoreErrorCode } from '../../server/store/errors.js';
import { ConfigError } from '../../server/config/config-error.js';
import { TlsFileError } from '../../server/transport/tls-options.js';

const entries: readonly ErrorEntry[] = errorRegistry;
const onWire = (e: ErrorEntry): boolean => e.sentBy.includes('ws') || e.sentBy.includes('http');

/**
 * Every code that has shipped (on the wire, in task results, in docs or the SDK) before the
 * registry was one list. Removing or renaming one breaks clients: this list only grows.
 */
const SHIPPED = [
  'BAD_FRAME',
  'UNKNOWN_FRAME',
  'FRAME_TOO_LARGE',
  'INVALID_FRAME',
  'NOT_AUTHENTICATED',
  'FORBIDDEN',
  'NOT_REGISTERED',
  'ALREADY_REGISTERED',
  'LEASE_NOT_HELD',
  'TASK_NOT_FOUND',
  'INVALID_STATE',
  'WORKER_NOT_FOUND',
  'QUEUE_NOT_FOUND',
  'STORE_UNAVAILABLE',
  'SHUTTING_DOWN',
  'NOT_READY',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'CONFLICT',
  'RATE_LIMITED',
  'NODE_UNREACHABLE',
  'INTERNAL',
  'STORE_FULL',
  'TOO_MANY_CONNECTIONS',
  'UNSUPPORTED_MEDIA_TYPE',
  'REQUEST_TIMEOUT',
  'TIMEOUT',
  'LEASE_LOST',
  'EXPIRED',
  'CANCELLED',
  'HANDLER_ERROR',
  'STORE_LOCKED',
  'STORE_CORRUPT',
  'STORE_FSYNC_FAILED',
  'STORE_NO_SPACE',
  'STORE_IO',
  'STORE_DIR_UNUSABLE',
  'STORE_CLOSED',
  'AUTH_FAILED',
  'HOST_KEY_UNKNOWN',
  'HOST_KEY_CHANGED',
  'COMMAND_TIMEOUT',
  'INVALID_ARGUMENT',
  'CONFIG_INVALID',
  'TLS_INVALID',
  'CONNECTION_CLOSED',
  'UNSUPPORTED_PROTOCOL',
  'TOKEN_REVOKED',
  'TOKEN_EXPIRED',
];

t.test('codes are unique, stable and named alike', async (t) => {
  const codes = entries.map((e) => e.code);
  t.equal(new Set(codes).size, codes.length, 'no code is listed twice');
  for (const c of codes) t.match(c, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, `${c} is UPPER_SNAKE`);
  for (const c of SHIPPED) t.ok(errorEntry(c), `shipped code ${c} is still in the registry`);
  t.same(Object.keys(ErrorCode), codes, 'ErrorCode has exactly the registry, in order');
  for (const [k, v] of Object.entries(ErrorCode)) t.equal(v, k, `ErrorCode.${k} is its name`);
});

t.test('every code has a meaning and a fix sentence, and says who sends it', async (t) => {
  for (const e of entries) {
    t.ok(e.sentBy.length > 0, `${e.code}: sentBy`);
    t.ok(e.meaning.trim().length >= 10, `${e.code}: meaning`);
    t.ok(e.fix.trim().length >= 10, `${e.code}: fix`);
    // The docs render cells from these: a pipe or a newline would break the table.
    t.notMatch(e.meaning + e.fix, /[|\n]/, `${e.code}: renderable in a table`);
  }
});

t.test('every status is a real 4xx/5xx, and every wire code has one', async (t) => {
  for (const e of entries) {
    for (const s of [e.status, ...(e.otherStatuses ?? [])]) {
      if (s === undefined) continue;
      t.ok(Number.isInteger(s) && s >= 400 && s <= 599, `${e.code}: ${s} is 4xx/5xx`);
      t.ok(STATUS_CODES[s], `${e.code}: ${s} is a status node knows`);
    }
    if (onWire(e)) t.type(e.status, 'number', `${e.code} is sent to clients: it has a status`);
    else t.equal(e.status, undefined, `${e.code} never reaches HTTP: no status`);
    t.equal(statusOfCode(e.code), e.status ?? 500, `statusOfCode(${e.code})`);
  }
  t.equal(statusOfCode('NO_SUCH_CODE'), 500, 'an unlisted code is a hub bug, not a client error');
});

t.test('exit codes are the CLI exit codes', async (t) => {
  const known = new Set<number>(Object.values(ExitCode));
  for (const e of entries)
    if (e.exitCode !== undefined) t.ok(known.has(e.exitCode), `${e.code}: exit ${e.exitCode}`);
});

t.test('each module takes its codes from the registry', async (t) => {
  const sentBy = (s: string) =>
    entries.filter((e) => (e.sentBy as readonly string[]).includes(s)).map((e) => e.code);
  t.same(Object.values(StoreErrorCode), sentBy('store'));
  t.same(Object.values(NodeErrorCode), sentBy('nodes'));
  t.same(Object.values(TaskErrorCode), sentBy('task'));
  t.equal(NodeErrorCode.NODE_UNREACHABLE, ErrorCode.NODE_UNREACHABLE, 'one NODE_UNREACHABLE');
  t.equal(new ConfigError('x').code, ErrorCode.CONFIG_INVALID);
  t.equal(new TlsFileError('server.tls.certFile', 'x').code, ErrorCode.TLS_INVALID);
  for (const c of [ErrorCode.CONFIG_INVALID, ErrorCode.TLS_INVALID])
    t.ok(errorEntry(c)!.sentBy.includes('config'), `${c} is a config code`);
});

t.test('the SDK has a typed error for every code the hub sends', async (t) => {
  for (const e of entries.filter(onWire)) {
    const err = HubError.fromFrame({ code: e.code, message: 'm', taskId: 'T' });
    t.equal(err.code, e.code, `${e.code} keeps its code`);
    t.not(err.constructor, HubError, `${e.code} maps to a subclass (${err.name})`);
    t.equal(err.name, err.constructor.name, `${e.code}: name is the class name`);
    t.equal(err.status, e.status);
    t.equal(err.fix, e.fix);
    t.equal(err.taskId, 'T');
  }
});
