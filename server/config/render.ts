import { lazyRequire } from '../support/lazy-require.js';
import { ENV_VARS } from './env.js';
import { redactSecrets } from './redact.js';
import type { HubConfig } from './schema.js';

const yaml = lazyRequire<typeof import('yaml')>('yaml');

/** The effective config as YAML, with secrets redacted (safe to paste in an issue). */
export function renderConfigYaml(config: HubConfig): string {
  return yaml().stringify(redactSecrets(config));
}

/** The effective config as JSON, with secrets redacted. */
export function renderConfigJson(config: HubConfig): string {
  return `${JSON.stringify(redactSecrets(config), null, 2)}\n`;
}

/** A commented starting config for `switchboard config init`. */
export function renderInitFile(): string {
  const envTable = Object.entries(ENV_VARS)
    .map(([name, { path }]) => `#   ${name.padEnd(36)} ${path}`)
    .join('\n');
  return `# Switchboard configuration.
# Precedence (lowest first): defaults < preset < this file < environment < command-line flags.
# Every key is optional; unknown keys are errors (so typos are caught).

# development: memory store, no auth, binds 127.0.0.1, pretty logs
# production:  write-ahead log, fsync before every ack, auth on (the default)
# throughput:  write-ahead log, fsync every 100 ms (up to 100 ms of acked work can be lost on power failure)
preset: production

server:
  host: 0.0.0.0            # address to bind both ports
  wsPort: 9501             # WebSocket port for workers and producers
  httpPort: 9500           # HTTP side port: /health, /ready, /metrics, /api/v1, event stream
  maxFrameBytes: 1048576   # larger frames get a FRAME_TOO_LARGE error frame
  maxBackpressureBytes: 4194304
  handshakeTimeoutMs: 5000 # close connections that send no hello in time
  idleMemoryReleaseMs: 10000 # idle this long after a burst: return freed memory to the OS (0 = never)
  transport: auto          # auto | uws | ws  (auto: uWebSockets.js, else ws)
  # tls:                   # serve wss:// and https:// on both ports; SIGHUP reloads the files
  #   certFile: /etc/switchboard/tls/fullchain.pem
  #   keyFile: /etc/switchboard/tls/privkey.pem
  #   caFile: /etc/switchboard/tls/clients-ca.pem   # mutual TLS: clients need a cert from this CA (ws transport)
  cors:                    # browser pages allowed on the REST API, event streams and health
    origins: []            # e.g. ["https://dash.example.com"], or ["*"]; empty: no CORS headers
    maxAgeSeconds: 600
  ui:                      # the web dashboard on the side port (docs/dashboard.md)
    enabled: true          # false: no dashboard routes, and / is not redirected
    path: /ui
    # dir: /opt/switchboard/dist/ui   # the built files; default: dist/ui of the package

auth:
  enabled: true
  # secret: "at least 32 characters"   # HS256 signing secret; default: <dataDir>/secret, created on first start
  # secretFile: /run/secrets/switchboard

store:
  mode: wal                # memory | snapshot | wal
  dataDir: ./data
  fsync: always            # always: ack after fsync (group commit) | interval: fsync every fsyncIntervalMs
  fsyncIntervalMs: 100
  snapshotIntervalMs: 60000
  segmentBytes: 67108864   # WAL segment size before rotation
  compactAfterBytes: 268435456

tasks:
  defaultMaxAttempts: 3
  defaultBackoff:
    type: exponential      # exponential | fixed
    delayMs: 1000
    maxDelayMs: 3600000
  defaultTimeoutMs: 0      # 0 = no per-attempt limit
  resultTtlMs: 3600000     # how long results are kept after a task finishes
  maxFinished: 100000      # at most this many finished tasks kept; soonest-expiring go first

workers:
  heartbeatIntervalMs: 5000  # announced to workers in the welcome frame
  heartbeatTimeoutMs: 15000  # a worker silent this long loses its leases
  disconnectGraceMs: 10000   # a disconnected worker may come back and keep its leases this long
  httpLeaseTimeoutMs: 30000  # HTTP-only workers: leases expire this long after their last call

log:
  level: info              # fatal | error | warn | info | debug | trace | silent
  pretty: false

shutdown:
  drainTimeoutMs: 30000    # on SIGTERM, wait this long for running tasks

nodes:
  ssh:
    # keyFile: /path/to/id_ed25519      # default: <dataDir>/ssh/id_ed25519, generated on first use
    # knownHostsFile: /path/known_hosts # default: <dataDir>/ssh/known_hosts
    trustOnFirstUse: false   # record unknown host keys on first connect (a changed key is always refused)
    connectTimeoutMs: 5000
    commandTimeoutMs: 60000
    idleTimeoutMs: 300000
    keepaliveIntervalMs: 15000
    maxSessionsPerNode: 8
    # keysDir: /path/keys             # nodes' own keys (a node's sshKey names a file here); default <dataDir>/ssh/keys
  forwards:                # port forwards to nodes; see docs/nodes.md
    bindHost: 127.0.0.1    # forwards carry no auth of their own: keep them on loopback unless you mean it
    # ports: { from: 20000, to: 20999 }  # hub ports forwards take; unset: the OS picks
    maxPerNode: 16
    maxConnections: 64     # live connections per forward; the next is closed at once
  probe:                   # keeps node statuses fresh in the background
    intervalMs: 30000      # 0 = off
    timeoutMs: 5000
    concurrency: 16

redis:                     # several hubs as one; see docs/operations.md "Running several hubs"
  # url: redis://127.0.0.1:6379   # set: this hub joins the cluster on this Redis (store.mode is then unused)
  keyPrefix: "switchboard:"  # one cluster per prefix
  leaseMs: 3000              # a dead leader is replaced after this
  # hubId: hub-a             # default: host name, pid, random suffix
  # advertiseHost: 10.0.0.7  # where other hubs reach this one's HTTP port
  # sentinels: ["10.0.0.6:26379"]  # Redis Sentinel instead of url
  sentinelName: mymaster
  waitReplicas: 0            # acknowledge only once this many replicas have a write (Redis WAIT)
  waitReplicasTimeoutMs: 1000

limits:                    # against hostile or broken clients; see docs/limits.md (0 = off)
  maxConnections: 100000   # WebSocket connections on the hub; the next upgrade gets HTTP 503
  maxConnectionsPerAddress: 20000 # ...from one IP address; the next gets HTTP 429
  frameRate: 100000        # frames/s per connection; over it: error RATE_LIMITED, then close 4029
  frameBurst: 200000
  byteRate: 67108864       # bytes/s per connection
  byteBurst: 134217728
  http:
    maxConnections: 4096   # HTTP side port connections; the next gets 503
    maxConnectionsPerAddress: 512 # ...from one IP address; the next gets 429
    headersTimeoutMs: 10000 # request headers must arrive within this (408 after)
    requestTimeoutMs: 30000 # the whole request within this
    maxJsonDepth: 128      # deeper JSON bodies get 400

federation:                # agmem's coordinator API at /federation; see docs/federation.md
  maxBodyBytes: 2097152    # largest push body (413 over it)
  maxFederations: 1000     # past these caps a push gets 507 FEDERATION_FULL, nothing stored
  maxAgentsPerFederation: 100000
  maxStoredItems: 20000000 # topic counts + fact hashes over every stored summary (the memory bound)
  maxKeys: 10000           # valid federation keys at once
  maxClockSkewMs: 3600000  # a summary timestamp further ahead of the hub's clock gets 400 (0 = no check)
  pushRate:                # per agent; over it: 429 with Retry-After (perMinute 0 = off)
    perMinute: 60
    burst: 10
  pullRate:                # per federation key or token
    perMinute: 600
    burst: 60
  cors:
    origins: []            # e.g. ["https://dash.example.com"], or ["*"]; empty: no CORS headers
    maxAgeSeconds: 600

# Environment variables:
${envTable}
`;
}
