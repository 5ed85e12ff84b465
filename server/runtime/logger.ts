import pino, { type Logger } from 'pino';
import { lazyRequire } from './lazy-require.js';

const prettyModule = lazyRequire<typeof import('pino-pretty')>('pino-pretty');

/**
 * Paths that must never reach a log line: tokens, secrets, task payloads and results.
 * pino's redaction is applied at serialisation, so a careless `log.info({ frame })` is safe too.
 */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'payload',
  '*.payload',
  'result',
  '*.result',
  'privateKey',
  '*.privateKey',
];

export function createLogger(options: { level: string; pretty: boolean; name?: string }): Logger {
  const base = {
    level: options.level,
    name: options.name ?? 'switchboard',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
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
  return pino(base);
}
