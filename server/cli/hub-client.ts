import { hubFetch, isCertificateError, type TlsClientOptions } from '../../client/hub-fetch.js';
import { CliError, ExitCode } from '../support/exit-codes.js';

export interface HubTarget {
  /** Base URL of the HTTP side port, e.g. http://127.0.0.1:9500 */
  url: string;
  token: string | undefined;
  /** https://: the CA to trust (--ca) and a client certificate for mutual TLS. */
  tls?: TlsClientOptions | undefined;
}

/** A JSON call to the hub's HTTP side port that maps every failure to a one-line CliError. */
export async function hubRequest<T>(
  target: HubTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  let res: Response;
  try {
    res = await hubFetch(new URL(path, target.url), {
      tls: target.tls,
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    if (isCertificateError(cause)) {
      throw new CliError(
        `the hub at ${target.url} refused the TLS handshake or its certificate is not trusted (${cause}); pass --ca FILE with the CA that signed it (for mutual TLS also --client-cert and --client-key)`,
        ExitCode.UNREACHABLE,
      );
    }
    throw new CliError(
      `cannot reach the hub at ${target.url} (${cause}); is it running? (--url or SWITCHBOARD_URL)`,
      ExitCode.UNREACHABLE,
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new CliError(
      `the hub at ${target.url} answered ${res.status} with something that is not JSON`,
      ExitCode.FAILED,
    );
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    const msg = `${e?.code ?? res.status}: ${e?.message ?? res.statusText}`;
    if (res.status === 401 || res.status === 403) {
      throw new CliError(
        `${msg}${res.status === 401 ? ' (pass --token or set SWITCHBOARD_TOKEN)' : ''}`,
        ExitCode.UNAUTHORIZED,
      );
    }
    throw new CliError(msg, ExitCode.FAILED);
  }
  return json as T;
}
