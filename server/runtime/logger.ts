import pino, { type DestinationStream, type Logger } from 'pino';
import { lazyRequire } from '../support/lazy-require.js';

const prettyModule = lazyRequire<typeof import('pino-pretty')>('pino-pretty');

/** Keys whose value must never reach a log line: credentials and user data. */
const SENSITIVE_KEYS = [
  'token',
  'secret',
  'password',
  'passphrase',
  'privateKey',
  'authorization',
  'cookie',
  // Task data: what producers and workers send is theirs, not the operator's.
  'payload',
  'result',
  'value',
  'details',
  'stdout',
  'stderr',
  'body',
];

/**
 * Paths that must never reach a log line, at the top and up to three objects deep (a frame
 * inside a context object inside the log call: `{ session: { frame: { payload } } }`).
 * pino's redaction is applied at serialisation, so a careless `log.info({ frame })` is safe
 * too. fast-redact has no "any depth" wildcard; each level is one more path per key.
 */
export const REDACT_PATHS = SENSITIVE_KEYS.flatMap((k) => [
  k,
  `*.${k}`,
  `*.*.${k}`,
  `*.*.*.${k}`,
]).concat(['headers.authorization', 'req.headers.authorization', 'req.headers.cookie']);

/** Longest error message kept: a message that quotes its input should not carry a payload. */
const MAX_ERROR_MESSAGE = 500;

/**
 * Errors keep what says what went wrong (type, code, message, stack, cause) and lose every
 * other own property: libraries hang the input they choked on onto their errors (`body`,
 * `input`, `data`), and pino's default serialiser would copy all of it.
 */
function errSerializer(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out: Record<string, unknown> = {
    type: err.name,
    message:
      err.message.length > MAX_ERROR_MESSAGE
        ? `${err.message.slice(0, MAX_ERROR_MESSAGE)}… [${err.message.length - MAX_ERROR_MESSAGE} more chars cut]`
        : err.message,
    stack: err.stack?.split('\n').slice(1).join('\n'),
  };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (err.cause !== undefined) out.cause = errSerializer(err.cause);
  return out;
}

export function createLogger(
  options: { level: string; pretty: boolean; name?: string },
  /** Where lines go (tests); default stdout. */
  destination?: DestinationStream,
): Logger {
  const base = {
    level: options.level,
    name: options.name ?? 'switchboard',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: errSerializer, error: errSerializer },
  };
  if (options.pretty) {
    // pino-pretty as a stream in this thread: a pino transport would start a worker thread
    // (tens of MB) just to colour development logs.
    return pino(
      base,
      prettyModule()({
        colorize: true,
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname,name',
        sync: true,
      }),
    );
  }
  return destination ? pino(base, destination) : pino(base);
}
