import { ErrorCode, statusOfCode, type WireErrorCodeName } from '../../protocol/index.js';

/**
 * How a failure to persist is told to a client: a full disk is STORE_FULL (HTTP 507
 * Insufficient Storage, and it passes once space is freed); anything else is
 * STORE_UNAVAILABLE (503). Either way nothing was accepted.
 */
export function storeFailure(err: Error): { code: WireErrorCodeName; status: number } {
  // The store layer raises STORE_NO_SPACE (server/store/errors.ts takes it from the registry).
  const code =
    (err as { code?: unknown }).code === ErrorCode.STORE_NO_SPACE
      ? ErrorCode.STORE_FULL
      : ErrorCode.STORE_UNAVAILABLE;
  return { code, status: statusOfCode(code) };
}

export function isStoreFailureCode(code: string): boolean {
  return code === ErrorCode.STORE_FULL || code === ErrorCode.STORE_UNAVAILABLE;
}
