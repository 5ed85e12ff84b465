/**
 * The `limit` label of `switchboard_limit_hits_total`: one value per limit in
 * docs/limits.md. A fixed set, so the series count stays bounded.
 */
export const LimitName = {
  /** WebSocket upgrade refused: the hub-wide connection cap (HTTP 503). */
  wsConnections: 'ws_connections',
  /** WebSocket upgrade refused: the per-address connection cap (HTTP 429). */
  wsConnectionsPerAddress: 'ws_connections_per_address',
  /** No hello within `server.handshakeTimeoutMs` (close 4008). */
  handshakeTimeout: 'handshake_timeout',
  /** A connection went over its frame or byte rate and was told (error frame RATE_LIMITED). */
  rateWarned: 'rate_warned',
  /** A connection kept going over its rate and was closed (close 4029). */
  rateClosed: 'rate_closed',
  /** HTTP side port: connection refused by the hub-wide cap (503). */
  httpConnections: 'http_connections',
  /** HTTP side port: connection refused by the per-address cap (429). */
  httpConnectionsPerAddress: 'http_connections_per_address',
  /** HTTP request (or WebSocket upgrade on the ws fallback) timed out: headers or body too slow (408). */
  httpRequestTimeout: 'http_request_timeout',
  /** HTTP request body over the limit (413). */
  httpBodyTooLarge: 'http_body_too_large',
  /** HTTP request body with a content type other than JSON (415). */
  httpContentType: 'http_content_type',
  /** HTTP JSON body nested deeper than `limits.http.maxJsonDepth` (400). */
  httpJsonDepth: 'http_json_depth',
} as const;
export type LimitNameValue = (typeof LimitName)[keyof typeof LimitName];
