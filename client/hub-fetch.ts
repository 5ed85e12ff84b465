import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

/** TLS settings of a client of the hub's HTTP side port (https://). */
export interface TlsClientOptions {
  /** CA certificate(s) (PEM) to trust for the hub's certificate; default the system CAs. */
  ca?: string | Buffer | undefined;
  /** Mutual TLS (server.tls.caFile): this client's certificate and private key (PEM). */
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
}

export interface HubFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  tls?: TlsClientOptions | undefined;
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * `fetch` for the hub's side port that can trust a private CA: the global fetch takes no
 * `ca` (it would need undici's Agent, not a dependency). node:http(s) underneath, a web
 * Response on top, so callers read `.json()` or stream `.body` as with fetch. Failures
 * reject like fetch does: an Error whose `cause` carries the socket error and its `code`.
 */
export function hubFetch(url: URL | string, init: HubFetchInit = {}): Promise<Response> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') {
    return Promise.reject(new Error(`unsupported URL ${target.href}: use http:// or https://`));
  }
  const tls = secure ? (init.tls ?? {}) : {};
  return new Promise<Response>((resolve, reject) => {
    const fail = (err: Error): void =>
      reject(Object.assign(new Error(`request to ${target.origin} failed`), { cause: err }));
    const req = (secure ? httpsRequest : httpRequest)(
      target,
      {
        method: init.method ?? 'GET',
        headers: {
          ...(init.headers ?? {}),
          ...(init.body !== undefined
            ? { 'content-length': String(Buffer.byteLength(init.body)) }
            : {}),
        },
        ...(init.signal ? { signal: init.signal } : {}),
        ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
        ...(tls.key !== undefined ? { key: tls.key } : {}),
      },
      (res: IncomingMessage) => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (typeof v === 'string') headers.set(k, v);
          else if (Array.isArray(v)) for (const item of v) headers.append(k, item);
        }
        const status = res.statusCode ?? 500;
        const body = NULL_BODY.has(status)
          ? null
          : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
        if (body === null) res.resume();
        resolve(new Response(body, { status, statusText: res.statusMessage ?? '', headers }));
      },
    );
    req.on('error', fail);
    req.end(init.body);
  });
}

/** True for errors a trusted CA (`--ca`, the `ca` option) would fix. */
export function isCertificateError(code: string | undefined): boolean {
  return (
    code !== undefined &&
    /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME|ERR_SSL_/.test(code)
  );
}
