import { codesSentBy, type CodeSentBy } from '../../protocol/error-registry.js';

/** Typed store errors: a stable code (protocol/error-registry.ts) and a message that says what to do. */
export const StoreErrorCode = codesSentBy('store');
export type StoreErrorCodeName = CodeSentBy<'store'>;

export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  constructor(
    readonly code: StoreErrorCodeName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class StoreCorruptError extends StoreError {
  override readonly name = 'StoreCorruptError';
  constructor(
    readonly file: string,
    readonly offset: number,
    detail: string,
  ) {
    super(
      StoreErrorCode.STORE_CORRUPT,
      `write-ahead log ${file} is corrupt at byte ${offset} (${detail}) and valid records follow, so this is not a torn write from a crash. ` +
        `Refusing to start rather than silently skip acknowledged work. To keep every record before byte ${offset} and move the rest aside ` +
        `(to ${file}.corrupt-<time> and later segments likewise), run: switchboard start --repair`,
    );
  }
}

/** The error for using a store after close(): nothing is written, nothing is numbered. */
export function storeClosedError(mode: string): StoreError {
  return new StoreError(
    StoreErrorCode.STORE_CLOSED,
    `the ${mode} store is closed: nothing more can be appended (the hub has stopped)`,
  );
}
