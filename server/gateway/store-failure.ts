import { ErrorCode, type ErrorCodeName } from '../../protocol/index.js';

/**
 * The code a store's error carries when its disk is full: part of the store port's contract
 * (server/hub/hub-store.ts), which server/store's StoreErrorCode.STORE_NO_SPACE meets (a test
 * checks they agree). Named here so the gateway need not import an implementation.
 */
export const STORE_NO_SPACE = 'STORE_NO_SPACE';

/**
 * How a failure to persist is told to a client: a full disk is STORE_FULL (HTTP 507
 * Insufficient Storage, and it passes once space is freed); anything else is
 * STORE_UNAVAILABLE (503). Either way nothing was accepted.
 */
export function storeFailure(err: Error): { code: ErrorCodeName; status: number } {
  if ((err as { code?: unknown }).code === STORE_NO_SPACE)
    return { code: ErrorCode.STORE_FULL, status: 507 };
  return { code: ErrorCode.STORE_UNAVAILABLE, status: 503 };
}

export function isStoreFailureCode(code: string): boolean {
  return code === ErrorCode.STORE_FULL || code === ErrorCode.STORE_UNAVAILABLE;
}
