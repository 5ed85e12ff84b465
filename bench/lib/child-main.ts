import { encodeChildMessage, type ChildMessage } from './child-messages.js';

/**
 * Child side of bench children: parse `--params <json>`, run, report one message on stdout,
 * exit. The child also enforces its own deadline (`--deadline-ms`) so it never outlives the
 * parent's timeout even if the parent dies first.
 */
export function readParams<T>(): T {
  const i = process.argv.indexOf('--params');
  if (i < 0 || i + 1 >= process.argv.length) throw new Error('missing --params <json>');
  return JSON.parse(process.argv[i + 1]!) as T;
}

export function send(msg: ChildMessage): void {
  process.stdout.write(encodeChildMessage(msg));
}

/** Build the argv for a child that uses childMain/readParams. */
export function childArgs(script: string, params: object, deadlineMs: number): string[] {
  return [script, '--params', JSON.stringify(params), '--deadline-ms', String(deadlineMs)];
}

function ownDeadline(): number | undefined {
  const i = process.argv.indexOf('--deadline-ms');
  return i < 0 ? undefined : Number(process.argv[i + 1]);
}

/** Thrown by a child when its peer is not reachable: reported as SKIPPED, not FAILED. */
export class SkipError extends Error {
  override name = 'SkipError';
}

/** Run a load generator body and report its outcome. */
export function childMain<P, R>(body: (params: P) => Promise<R>): void {
  const deadline = ownDeadline();
  if (deadline !== undefined && deadline > 0) {
    setTimeout(() => {
      send({ bench: 'error', message: `child deadline of ${deadline} ms reached` });
      process.exit(3);
    }, deadline).unref();
  }
  const params = readParams<P>();
  body(params).then(
    (data) => {
      send({ bench: 'result', data });
      process.exit(0);
    },
    (err: unknown) => {
      if (err instanceof SkipError) {
        send({ bench: 'skip', reason: err.message });
        process.exit(0);
      }
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      send({ bench: 'error', message: message.split('\n')[0] ?? message });
      process.stderr.write(`${message}\n`);
      process.exit(1);
    },
  );
}
