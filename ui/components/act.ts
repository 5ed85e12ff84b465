import { ApiError } from '../api-client.js';

/** Every mutating action: asks first, is one authenticated API call, says what went wrong. */
export async function act(
  what: string,
  call: () => Promise<unknown>,
  then?: () => void,
): Promise<boolean> {
  if (!confirm(what + '?')) return false;
  try {
    await call();
    return true;
  } catch (e) {
    alert((e as ApiError).message);
    return false;
  } finally {
    then?.();
  }
}
