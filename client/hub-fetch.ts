/** TLS settings of a client of the hub's HTTP side port (https://). */
export interface TlsClientOptions {
  /** CA certificate(s) (PEM) to trust for the hub's certificate; default the system CAs. */
  ca?: string | Uint8Array | undefined;
  /** Mutual TLS (server.tls.caFile): this client's certificate and private key (PEM). */
  cert?: string | Uint8Array | undefined;
  key?: string | Uint8Array | undefined;
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
 * `fetch` for the hub's side port that can trust a private CA. The global fetch takes no
 * `ca` (it would need undici's Agent, not a dependency), so with TLS options (Node only)
 * the request goes through node:http(s), loaded on demand so that browsers, Deno and Bun
 * never load it; without, it is the runtime's own fetch. Either way a web Response comes
 * back, and failures reject like fetch does: an Error whose `cause` carries the socket
 * error and its `code`.
 */
export async function hubFetch(url: URL | string, init: HubFetchInit = {}): Promise<Response> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') {
    throw new Error(`unsupported URL ${target.href}: use http:// or https://`);
  }
  const tls = secure ? (init.tls ?? {}) : {};
  const ownTls = tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined;
  if (!ownTls && typeof globalThis.fetch === 'function') {
    try {
      return await globalThis.fetch(target, {
        method: init.method ?? 'GET',
        ...(init.headers ? { headers: init.headers } : {}),
        ...(init.body !== undefined ? { body: init.body } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      // undici says "fetch failed" with the socket error as its cause: keep that cause.
      const cause = (err as { cause?: unknown }).cause ?? err;
      throw Object.assign(new Error(`request to ${target.origin} failed`), { cause });
    }
  }
  return nodeFetch(target, init, secure ? tls : {});
}

async function nodeFetch(
  target: URL,
  init: HubFetchInit,
  tls: TlsClientOptions,
): Promise<Response> {
  const [{ request: httpRequest }, { request: httpsRequest }, { Readable }] = await Promise.all([
    import('node:http'),
    import('node:https'),
    import('node:stream'),
  ]);
  const secure = target.protocol === 'https:';
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
            ? { 'content-length': String(new TextEncoder().encode(init.body).byteLength) }
            : {}),
        },
        ...(init.signal ? { signal: init.signal } : {}),
        ...(tls.ca !== undefined ? { ca: tls.ca as string } : {}),
        ...(tls.cert !== undefined ? { cert: tls.cert as string } : {}),
        ...(tls.key !== undefined ? { key: tls.key as string } : {}),
      },
      (res) => {
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
