/**
 * Environment variables → config paths. One table, documented in docs/operations.md.
 * Values are coerced by the kind given here; the schema then validates them.
 */
export const ENV_VARS = {
  SWITCHBOARD_PRESET: { path: 'preset', kind: 'string' },
  SWITCHBOARD_HOST: { path: 'server.host', kind: 'string' },
  SWITCHBOARD_WS_PORT: { path: 'server.wsPort', kind: 'number' },
  SWITCHBOARD_HTTP_PORT: { path: 'server.httpPort', kind: 'number' },
  SWITCHBOARD_TRANSPORT: { path: 'server.transport', kind: 'string' },
  SWITCHBOARD_MAX_FRAME_BYTES: { path: 'server.maxFrameBytes', kind: 'number' },
  SWITCHBOARD_UI: { path: 'server.ui.enabled', kind: 'boolean' },
  SWITCHBOARD_TLS_CERT: { path: 'server.tls.certFile', kind: 'string' },
  SWITCHBOARD_TLS_KEY: { path: 'server.tls.keyFile', kind: 'string' },
  SWITCHBOARD_TLS_CA: { path: 'server.tls.caFile', kind: 'string' },
  SWITCHBOARD_AUTH: { path: 'auth.enabled', kind: 'boolean' },
  SWITCHBOARD_AUTH_SECRET: { path: 'auth.secret', kind: 'string' },
  SWITCHBOARD_AUTH_SECRET_FILE: { path: 'auth.secretFile', kind: 'string' },
  SWITCHBOARD_STORE_MODE: { path: 'store.mode', kind: 'string' },
  SWITCHBOARD_DATA_DIR: { path: 'store.dataDir', kind: 'string' },
  SWITCHBOARD_FSYNC: { path: 'store.fsync', kind: 'string' },
  SWITCHBOARD_FSYNC_INTERVAL_MS: { path: 'store.fsyncIntervalMs', kind: 'number' },
  SWITCHBOARD_RESULT_TTL_MS: { path: 'tasks.resultTtlMs', kind: 'number' },
  SWITCHBOARD_MAX_FINISHED: { path: 'tasks.maxFinished', kind: 'number' },
  SWITCHBOARD_IDLE_MEMORY_RELEASE_MS: { path: 'server.idleMemoryReleaseMs', kind: 'number' },
  SWITCHBOARD_HEARTBEAT_INTERVAL_MS: { path: 'workers.heartbeatIntervalMs', kind: 'number' },
  SWITCHBOARD_HEARTBEAT_TIMEOUT_MS: { path: 'workers.heartbeatTimeoutMs', kind: 'number' },
  SWITCHBOARD_DISCONNECT_GRACE_MS: { path: 'workers.disconnectGraceMs', kind: 'number' },
  SWITCHBOARD_LOG_LEVEL: { path: 'log.level', kind: 'string' },
  SWITCHBOARD_LOG_PRETTY: { path: 'log.pretty', kind: 'boolean' },
  SWITCHBOARD_DRAIN_TIMEOUT_MS: { path: 'shutdown.drainTimeoutMs', kind: 'number' },
  SWITCHBOARD_REDIS_URL: { path: 'redis.url', kind: 'string' },
  SWITCHBOARD_REDIS_KEY_PREFIX: { path: 'redis.keyPrefix', kind: 'string' },
  SWITCHBOARD_REDIS_LEASE_MS: { path: 'redis.leaseMs', kind: 'number' },
  SWITCHBOARD_REDIS_HUB_ID: { path: 'redis.hubId', kind: 'string' },
  SWITCHBOARD_REDIS_ADVERTISE_HOST: { path: 'redis.advertiseHost', kind: 'string' },
  SWITCHBOARD_REDIS_SENTINELS: { path: 'redis.sentinels', kind: 'string' },
  SWITCHBOARD_REDIS_SENTINEL_NAME: { path: 'redis.sentinelName', kind: 'string' },
  SWITCHBOARD_REDIS_PASSWORD: { path: 'redis.password', kind: 'string' },
  SWITCHBOARD_REDIS_WAIT_REPLICAS: { path: 'redis.waitReplicas', kind: 'number' },
} as const;

/** Build the environment layer; unparseable numbers/booleans are kept as strings so the schema reports them. */
export function envLayer(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, { path, kind }] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (kind === 'number' && /^-?\d+(\.\d+)?$/.test(raw.trim())) value = Number(raw);
    if (kind === 'boolean' && /^(true|false|1|0|yes|no|on|off)$/i.test(raw.trim()))
      value = /^(true|1|yes|on)$/i.test(raw.trim());
    setPath(out, path, value);
  }
  return out;
}

export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) {
    if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}
