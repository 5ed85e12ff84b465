/**
 * Credentials out of anything printed: `switchboard config`, its `--json`, logs of settings.
 * A printed config is meant to be pasted into an issue, so it must hold no secret wherever
 * one is written: a key that names a secret, the user:password of a URL, or a URL's query
 * parameter that carries a token.
 */

export const REDACTED = '[redacted]';

/** Stands in while the URL is rebuilt: `[` and `]` would come out percent-encoded. */
const MARK = 'REDACTED0x5b5d';

/** Keys whose string value is itself a credential. Paths to one (`secretFile`) are not. */
const SECRET_KEY =
  /(secret|password|passwd|pwd|token|credential|api[-_]?key|private[-_]?key|auth[-_]?key)$/i;
/** URL query parameters that carry a credential (`?password=…`, `?access_token=…`). */
const SECRET_PARAM =
  /^(.*[-_])?(secret|password|passwd|pwd|pass|token|key|sig|signature|auth|credentials?)$/i;

/** A URL with its password (and any credential query parameter) replaced; else the string as is. */
export function redactUrl(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not parseable, but shaped like scheme://user:pass@host: cut what sits before the @.
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, `$1${REDACTED}@`);
  }
  let changed = false;
  if (url.password) {
    url.password = MARK;
    changed = true;
  } else if (url.username) {
    // `redis://s3cr3t@host` is a password in the user field (older Redis clients read it so).
    url.username = MARK;
    changed = true;
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) {
      url.searchParams.set(name, MARK);
      changed = true;
    }
  }
  // Unchanged URLs come back byte for byte (URL would normalise them).
  return changed ? url.toString().replaceAll(MARK, REDACTED) : value;
}

/** A deep copy of `value` with every credential replaced by `[redacted]`. */
export function redactSecrets<T>(value: T): T {
  return walk(value, undefined) as T;
}

function walk(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && SECRET_KEY.test(key) && value !== '') return REDACTED;
    return redactUrl(value);
  }
  if (Array.isArray(value)) return value.map((v) => walk(v, key));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, k);
    return out;
  }
  return value;
}
