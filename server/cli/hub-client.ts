import { fetchFromHubs, NoHubAnsweredError } from '../../client/fetch-from-hubs.js';
import type { TlsClientOptions } from '../../client/hub-fetch.js';
import { HubUrlList } from '../../client/hub-urls.js';
import { InvalidOptionError } from '../../client/errors.js';
import { CliError, ExitCode } from '../support/exit-codes.js';

export interface HubTarget {
  /**
   * The HTTP side port of the hub, e.g. http://127.0.0.1:9500, or of several hubs of one
   * cluster (--url a,b): a request goes to the current one and on to the next when a hub
   * gives no answer. The one that answered stays current, so one command's requests stay on
   * one hub.
   */
  hubs: HubUrlList;
  token: string | undefined;
  /** https://: the CA to trust (--ca) and a client certificate for mutual TLS. */
  tls?: TlsClientOptions | undefined;
}

/** --url / SWITCHBOARD_URL as a list of side-port URLs; a bad one is a usage error. */
export function hubUrlsOf(value: string, source = '--url'): HubUrlList {
  try {
    return new HubUrlList(value, 'http', source);
  } catch (err) {
    if (err instanceof InvalidOptionError) throw new CliError(err.message, ExitCode.USAGE);
    throw err;
  }
}

/** How long the CLI waits for an answer when the call does no remote work on the hub's side. */
export const DEFAULT_CLI_TIMEOUT_MS = 10_000;

/**
 * A JSON call to the hub's HTTP side port that maps every failure to a one-line CliError.
 * A call that makes the hub work on a node (SSH connect, install a key, run a command) passes a
 * timeout longer than the hub's own for that work, so the user reads the hub's error (which
 * names the node and the reason) instead of a CLI timeout that blames the hub.
 */
export async function hubRequest<T>(
  target: HubTarget,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = DEFAULT_CLI_TIMEOUT_MS,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  let res: Response;
  let url: string;
  try {
    ({ response: res, url } = await fetchFromHubs(target.hubs, path, {
      tls: target.tls,
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs,
    }));
  } catch (err) {
    if (!(err instanceof NoHubAnsweredError)) throw err;
    const one = target.hubs.size === 1;
    const where = one ? `the hub at ${target.hubs}` : `any hub of ${target.hubs}`;
    const reasons = one ? err.failures[0]!.reason : err.message;
    const cert = err.certificateFailure;
    if (cert) {
      throw new CliError(
        `the hub at ${cert.url} refused the TLS handshake or its certificate is not trusted (${cert.reason}); pass --ca FILE with the CA that signed it (for mutual TLS also --client-cert and --client-key)`,
        ExitCode.UNREACHABLE,
      );
    }
    throw new CliError(
      `cannot reach ${where} (${reasons}); is it running? (--url or SWITCHBOARD_URL)`,
      ExitCode.UNREACHABLE,
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new CliError(
      `the hub at ${url} answered ${res.status} with something that is not JSON`,
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
