import { ErrorCode, statusOfCode, type WireErrorCodeName } from '../../protocol/index.js';

/**
 * How a failure to persist is told to a client: a full disk is STORE_FULL (HTTP 507
 * Insufficient Storage, and it passes once space is freed); Redis out of reach, or this
 * hub fenced by a successor, is ENGINE_UNAVAILABLE (503, passes once Redis answers or the
 * client reaches the hub that leads); anything else is STORE_UNAVAILABLE
 * (503). Either way nothing was accepted.
 */
export function storeFailure(err: Error): { code: WireErrorCodeName; status: number } {
  // The store layer raises these (server/store/errors.ts takes them from the registry).
  const raised = (err as { code?: unknown }).code;
  const code =
    raised === ErrorCode.STORE_NO_SPACE
      ? ErrorCode.STORE_FULL
      : raised === ErrorCode.ENGINE_UNAVAILABLE || raised === ErrorCode.FENCED
        ? ErrorCode.ENGINE_UNAVAILABLE
        : ErrorCode.STORE_UNAVAILABLE;
  return { code, status: statusOfCode(code) };
}

export function isStoreFailureCode(code: string): boolean {
  return (
    code === ErrorCode.STORE_FULL ||
    code === ErrorCode.STORE_UNAVAILABLE ||
    code === ErrorCode.ENGINE_UNAVAILABLE
  );
}
