import { hubFetch, isCertificateError, type HubFetchInit } from './hub-fetch.js';
import type { HubUrlList } from './hub-urls.js';

export interface FetchFromHubsInit extends HubFetchInit {
  /** How long one hub may take to answer before the next is tried (GET/HEAD only). */
  timeoutMs?: number;
}

/** One hub that gave no answer, and why. */
export interface HubFailure {
  url: string;
  /** The socket error's code (ECONNREFUSED, a certificate code, TimeoutError), or its message. */
  reason: string;
  error: Error;
}

/** No hub of the list answered. `cause` is the last hub's error, `failures` has every one. */
export class NoHubAnsweredError extends Error {
  override readonly name = 'NoHubAnsweredError';
  constructor(
    readonly failures: readonly HubFailure[],
    /** Whether the hubs after the last failure were left untried (a request that may have been applied). */
    readonly stoppedEarly: boolean,
  ) {
    const last = failures[failures.length - 1]!;
    super(
      `${failures.map((f) => `${f.url}: ${f.reason}`).join('; ')}${stoppedEarly ? ' (not retried on another hub: the request may have been applied)' : ''}`,
      { cause: last.error.cause ?? last.error },
    );
  }

  /** A failure a trusted CA would fix, if any hub gave one: that is what to tell the user. */
  get certificateFailure(): HubFailure | undefined {
    return this.failures.find((f) => isCertificateError(f.reason));
  }
}

/**
 * Errors where the request never reached a hub: it is safe to send it to another, whatever
 * the method. Certificate errors too: the TLS handshake failed before the request was sent.
 */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);
const IDEMPOTENT = new Set(['GET', 'HEAD']);

function reasonOf(err: Error): string {
  const cause = err.cause as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === 'string' && cause.code !== 'ABORT_ERR') return cause.code;
  // An aborted request's cause is the abort reason: a TimeoutError for our per-hub timeout.
  const inner = (cause as { cause?: { name?: unknown } } | undefined)?.cause;
  if (typeof inner?.name === 'string' && inner.name === 'TimeoutError') return 'TimeoutError';
  if (typeof cause?.name === 'string' && cause.name === 'TimeoutError') return 'TimeoutError';
  return typeof cause?.message === 'string' ? cause.message : err.message;
}

/**
 * `hubFetch` against a list of hubs of one cluster: `path` on the current hub, and on the next
 * ones in turn when a hub gives no answer at all (refused, unreachable, TLS refused, or for
 * GET/HEAD a reset or a timeout). Any HTTP answer, 4xx and 5xx included, is returned as is:
 * it came from a hub, and another hub of the cluster would say the same. The hub that
 * answered becomes the list's current one, so the next call goes there first.
 */
export async function fetchFromHubs(
  hubs: HubUrlList,
  path: string,
  init: FetchFromHubsInit = {},
): Promise<{ response: Response; url: string }> {
  const { timeoutMs, signal, ...rest } = init;
  const idempotent = IDEMPOTENT.has((init.method ?? 'GET').toUpperCase());
  const failures: HubFailure[] = [];
  for (const url of hubs.order()) {
    const signals = [signal, timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs)];
    const combined = signals.filter((s): s is AbortSignal => s !== undefined);
    try {
      const response = await hubFetch(new URL(path, url), {
        ...rest,
        ...(combined.length ? { signal: AbortSignal.any(combined) } : {}),
      });
      hubs.use(url);
      return { response, url };
    } catch (err) {
      // The caller gave up: not a hub's fault, nothing to fail over.
      if (signal?.aborted) throw err;
      const reason = reasonOf(err as Error);
      failures.push({ url, reason, error: err as Error });
      if (!NOT_SENT.has(reason) && !isCertificateError(reason) && !idempotent) {
        throw new NoHubAnsweredError(failures, failures.length < hubs.size);
      }
    }
  }
  throw new NoHubAnsweredError(failures, false);
}
