import type { HttpFallbackOptions } from './http-fallback.js';
import type { HubUrls } from './hub-urls.js';

export interface ReconnectOptions {
  /** Default true. */
  enabled?: boolean;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Give up after this many consecutive failures (default: never). With several URLs, one
   * failure is one round: every URL of the list tried once.
   */
  maxAttempts?: number;
}

export interface ConnectionOptions {
  /**
   * The hub's WebSocket URL (ws:// or wss://), or several hubs of one cluster: an array, or
   * one comma-separated string. A connect that fails moves on to the next URL at once; after
   * every URL failed once, the connection backs off before the next round. After a session,
   * a reconnect tries the same hub first. Checked here: InvalidOptionError when it is empty
   * or not ws(s)://.
   */
  url: HubUrls;
  token?: string | undefined;
  reconnect?: ReconnectOptions | undefined;
  requestTimeoutMs?: number | undefined;
  /**
   * How long one hub may take to accept the WebSocket upgrade before the next URL is tried
   * (a stopped or blackholed hub never answers). Default 10,000.
   */
  connectTimeoutMs?: number | undefined;
  /** Name sent in hello, for the hub's logs. */
  clientName?: string | undefined;
  /**
   * wss:// only: the CA certificate(s) (PEM) to trust for the hub's certificate, e.g. a
   * private CA or a self-signed hub certificate. Default: the system's trusted CAs.
   */
  ca?: string | Buffer | undefined;
  /** wss:// with mutual TLS (server.tls.caFile): this client's certificate and key (PEM). */
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  /**
   * Work over the hub's HTTP routes when WebSocket upgrades are refused (a proxy that does
   * not pass them), and go back to WebSocket once it works again. Off without `httpUrl`.
   */
  httpFallback?: HttpFallbackOptions | undefined;
}
