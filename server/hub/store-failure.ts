import { ErrorCode, type ErrorCodeName } from '../../protocol/index.js';
import { StoreErrorCode } from '../store/errors.js';

/**
 * How a failure to persist is told to a client: a full disk is STORE_FULL (HTTP 507
 * Insufficient Storage, and it passes once space is freed); anything else is
 * STORE_UNAVAILABLE (503). Either way nothing was accepted.
 */
export function storeFailure(err: Error): { code: ErrorCodeName; status: number } {
  if ((err as { code?: unknown }).code === StoreErrorCode.STORE_NO_SPACE)
    return { code: ErrorCode.STORE_FULL, status: 507 };
  return { code: ErrorCode.STORE_UNAVAILABLE, status: 503 };
}

export function isStoreFailureCode(code: string): boolean {
  return code === ErrorCode.STORE_FULL || code === ErrorCode.STORE_UNAVAILABLE;
}
