/**
 * WebSocket close codes used by the hub. 1000-1015 are RFC 6455; 4000-4999 are ours.
 */
export const CloseCode = {
  /** Normal close (client or hub closed deliberately). */
  NORMAL: 1000,
  /** The hub is shutting down; reconnect later (SDKs do so automatically). */
  GOING_AWAY: 1001,
  /** The frame exceeded the hard transport limit (`maxFrameBytes` x 4); the hub could not even read it. */
  MESSAGE_TOO_BIG: 1009,
  /** The hub hit an unexpected error handling this connection (a bug; see its log). Reconnect. */
  INTERNAL_ERROR: 1011,
  /**
   * Several hubs as one cluster: the hub this connection reached relays to a leader that is
   * gone (it failed over), or the relay between them lost frames. Reconnect now; any hub of
   * the cluster serves.
   */
  SERVICE_RESTART: 1012,
  /** Several hubs as one cluster: no hub leads yet (one is taking over). Reconnect shortly. */
  TRY_AGAIN_LATER: 1013,
  /** The hello frame named a protocol version the hub does not speak. */
  UNSUPPORTED_PROTOCOL: 4000,
  /** Missing, malformed, expired or forged token. Do not retry with the same token. */
  UNAUTHORIZED: 4001,
  /** The token is valid but its role may not open this kind of session. */
  FORBIDDEN: 4003,
  /** The session's token was revoked while it was open (`switchboard token revoke`). Do not retry with it. */
  TOKEN_REVOKED: 4004,
  /** The session's token expired while it was open. Reconnect with a fresh token. */
  TOKEN_EXPIRED: 4005,
  /** No hello arrived within the handshake timeout. */
  HANDSHAKE_TIMEOUT: 4008,
  /** Too many protocol errors on this connection (abuse). */
  PROTOCOL_ABUSE: 4009,
  /** The worker missed its heartbeats; its leases are gone. Reconnect and register again. */
  HEARTBEAT_TIMEOUT: 4010,
  /** An operator disconnected this worker (REST `POST /api/v1/workers/{id}/disconnect`). */
  KICKED: 4011,
  /** Another connection registered with the same worker id; this one is superseded. */
  REPLACED: 4012,
  /**
   * The worker was unregistered through HTTP (`POST /api/workers/unregister`); its leases were
   * requeued. The removal was deliberate, so an SDK stops instead of reconnecting.
   */
  UNREGISTERED: 4020,
  /** The connection kept sending over its frame or byte rate after a RATE_LIMITED error frame. */
  RATE_LIMITED: 4029,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which an SDK must not reconnect without new credentials. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.UNSUPPORTED_PROTOCOL,
  CloseCode.UNAUTHORIZED,
  CloseCode.FORBIDDEN,
  CloseCode.TOKEN_REVOKED,
  CloseCode.TOKEN_EXPIRED,
]);

/** Close codes after which an SDK stops without reconnecting, though its credentials are fine. */
export const STOP_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.UNREGISTERED]);
