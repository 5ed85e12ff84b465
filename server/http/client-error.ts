import { ErrorCode } from '../../protocol/index.js';
import { HttpError } from './http-error.js';

/**
 * The path and query of a request target. `new URL(target, base)` reads a target starting
 * with `//` as scheme-relative: `//x/api/v1/tasks` had its first segment taken as a host
 * (and routed to /api/v1/tasks), and `//` alone threw, answering 500. Only origin-form
 * targets exist on this server, so the target is always appended to a fixed origin.
 */
export function requestUrl(target: string | undefined): URL {
  const t = target ?? '/';
  try {
    return new URL(`http://localhost${t.startsWith('/') ? t : `/${t}`}`);
  } catch {
    throw new HttpError(ErrorCode.MALFORMED_REQUEST, 'the request target is not a valid path');
  }
}
