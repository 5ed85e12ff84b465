/** Typed store errors: a stable code and a message that says what to do. */
export const StoreErrorCode = {
  STORE_LOCKED: 'STORE_LOCKED',
  STORE_CORRUPT: 'STORE_CORRUPT',
  STORE_FSYNC_FAILED: 'STORE_FSYNC_FAILED',
  STORE_NO_SPACE: 'STORE_NO_SPACE',
  STORE_IO: 'STORE_IO',
  /** The data dir cannot be used at start: read-only, not writable, or owned by another user. */
  STORE_DIR_UNUSABLE: 'STORE_DIR_UNUSABLE',
  /** append() or prepare() on a store after close(): a bug in the caller, never retried. */
  STORE_CLOSED: 'STORE_CLOSED',
} as const;
export type StoreErrorCodeName = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

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
