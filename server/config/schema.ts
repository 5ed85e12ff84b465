import { z } from 'zod';
import { corsSchema } from './cors-schema.js';
import { federationSchema } from './federation-schema.js';
import { workspacesSchema } from './workspaces-schema.js';
import { queuesSchema } from './queues-schema.js';
import { tlsSchema } from './tls-schema.js';
import { uiSchema } from './ui-schema.js';

export const PRESETS = ['development', 'production', 'throughput', 'high-availability'] as const;
export type PresetName = (typeof PRESETS)[number];

const port = z.number().int().min(0).max(65_535);
const ms = z.number().int().min(0);

const count = z.number().int().min(0);

/**
 * Limits against hostile or broken clients (docs/limits.md). 0 switches a limit off.
 * Defaults are generous: one benchmark client sends ~100k frames/s and the connection
 * benchmark opens 10,000 sockets from one address.
 */
export const limitsSchema = z
  .strictObject({
    /** Open WebSocket connections on the hub; the next upgrade gets HTTP 503. */
    maxConnections: count.default(100_000),
    /** Open WebSocket connections from one IP address; the next upgrade gets HTTP 429. */
    maxConnectionsPerAddress: count.default(20_000),
    /** Frames per second per connection (token bucket refill), and the bucket size. */
    frameRate: count.default(100_000),
    frameBurst: count.min(1).default(200_000),
    /** Bytes per second per connection, and the bucket size. */
    byteRate: count.default(64 * 1024 * 1024),
    byteBurst: count.min(1).default(128 * 1024 * 1024),
    http: z
      .strictObject({
        /** Open TCP connections on the HTTP side port; the next gets 503. */
        maxConnections: count.default(4096),
        /** Open TCP connections on the HTTP side port from one IP address; the next gets 429. */
        maxConnectionsPerAddress: count.default(512),
        /** Request headers must be complete this long after the connection (or the last response). */
        headersTimeoutMs: ms.min(100).default(10_000),
        /** The whole request (headers and body) must arrive within this. */
        requestTimeoutMs: ms.min(100).default(30_000),
        /** Deepest nesting of arrays/objects accepted in a JSON request body. */
        maxJsonDepth: z.number().int().min(2).max(10_000).default(128),
      })
      .prefault({}),
  })
  .prefault({});
export type LimitsConfig = z.infer<typeof limitsSchema>;

/**
 * The whole hub configuration, one schema. Every object is strict, so a typo in a key is
 * an error rather than a silently ignored setting.
 */
export const configSchema = z.strictObject({
  preset: z.enum(PRESETS).default('production'),
  server: z
    .strictObject({
      host: z.string().min(1).default('0.0.0.0'),
      wsPort: port.default(9501),
      httpPort: port.default(9500),
      maxFrameBytes: z
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024)
        .default(1024 * 1024),
      maxBackpressureBytes: z
        .number()
        .int()
        .min(64 * 1024)
        .default(4 * 1024 * 1024),
      handshakeTimeoutMs: ms.min(100).default(5000),
      idleMemoryReleaseMs: ms.default(10_000),
      transport: z.enum(['auto', 'uws', 'ws']).default('auto'),
      tls: tlsSchema,
      /** Browser pages allowed to call the REST API and event streams (docs/api.md, CORS). */
      cors: corsSchema,
      /** The web dashboard (docs/dashboard.md): on by default under /ui. */
      ui: uiSchema,
    })
    .prefault({}),
  auth: z
    .strictObject({
      enabled: z.boolean().default(true),
      secret: z.string().min(32, 'must be at least 32 characters').optional(),
      secretFile: z.string().min(1).optional(),
    })
    .prefault({}),
  store: z
    .strictObject({
      mode: z.enum(['memory', 'snapshot', 'wal']).default('wal'),
      dataDir: z.string().min(1).default('./data'),
      fsync: z.enum(['always', 'interval']).default('always'),
      fsyncIntervalMs: ms.min(1).max(60_000).default(100),
      snapshotIntervalMs: ms.min(1000).default(60_000),
      segmentBytes: z
        .number()
        .int()
        .min(1024 * 1024)
        .default(64 * 1024 * 1024),
      compactAfterBytes: z
        .number()
        .int()
        .min(1024 * 1024)
        .default(256 * 1024 * 1024),
    })
    .prefault({}),
  tasks: z
    .strictObject({
      defaultMaxAttempts: z.number().int().min(1).max(1000).default(3),
      defaultBackoff: z
        .strictObject({
          type: z.enum(['exponential', 'fixed']).default('exponential'),
          delayMs: ms.default(1000),
          maxDelayMs: ms.default(3_600_000),
        })
        .prefault({}),
      defaultTimeoutMs: ms.default(0),
      resultTtlMs: ms.default(3_600_000),
      maxFinished: z.number().int().min(0).default(100_000),
    })
    .prefault({}),
  workers: z
    .strictObject({
      heartbeatIntervalMs: ms.min(100).default(5000),
      heartbeatTimeoutMs: ms.min(300).default(15_000),
      disconnectGraceMs: ms.default(10_000),
      httpLeaseTimeoutMs: ms.min(100).default(30_000),
    })
    .prefault({}),
  /** The message bus (docs/messaging.md). */
  bus: z
    .strictObject({
      /** Stored messages one subscription may hold unacked; a publish beyond -> SUBSCRIPTION_FULL. */
      maxPending: z.number().int().min(1).max(10_000_000).default(100_000),
      /** How long an exactly-once publisher id is remembered. */
      dedupWindowMs: ms.min(1000).default(120_000),
      /** A delivered stored message not acked within this is delivered again. */
      ackWaitMs: ms.min(100).default(30_000),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      pretty: z.boolean().default(false),
    })
    .prefault({}),
  shutdown: z.strictObject({ drainTimeoutMs: ms.default(30_000) }).prefault({}),
  nodes: z
    .strictObject({
      ssh: z
        .strictObject({
          keyFile: z.string().min(1).optional(),
          knownHostsFile: z.string().min(1).optional(),
          trustOnFirstUse: z.boolean().default(false),
          connectTimeoutMs: ms.min(100).default(5000),
          commandTimeoutMs: ms.min(100).default(60_000),
          idleTimeoutMs: ms.min(1000).default(300_000),
          keepaliveIntervalMs: ms.min(1000).default(15_000),
          maxSessionsPerNode: z.number().int().min(1).max(64).default(8),
          /** Where nodes' own keys are (`sshKey` of a node names a file here); default <dataDir>/ssh/keys. */
          keysDir: z.string().min(1).optional(),
        })
        .prefault({}),
      /** Port forwards to nodes (docs/nodes.md, Port forwarding). */
      forwards: z
        .strictObject({
          /** The address forwards listen on; loopback by default: a forward has no auth of its own. */
          bindHost: z.string().min(1).default('127.0.0.1'),
          /** Hub ports forwards take (`{from, to}`); unset: the OS picks a free one. */
          ports: z
            .strictObject({ from: port.min(1), to: port.min(1) })
            .refine((r) => r.from <= r.to, 'from must not be above to')
            .optional(),
          maxPerNode: z.number().int().min(1).max(10_000).default(16),
          /** Live connections per forward; the next is closed at once. */
          maxConnections: z.number().int().min(1).max(100_000).default(64),
        })
        .prefault({}),
      /** The background probe that keeps node statuses fresh. */
      probe: z
        .strictObject({
          /** 0 switches it off. */
          intervalMs: ms.default(30_000),
          timeoutMs: ms.min(100).default(5000),
          concurrency: z.number().int().min(1).max(256).default(16),
        })
        .prefault({}),
    })
    .prefault({}),
  redis: z
    .strictObject({
      /** Set: this hub joins the cluster of every hub on this Redis and key prefix. */
      url: z.string().url().optional(),
      keyPrefix: z
        .string()
        .max(100)
        .regex(/^[A-Za-z0-9:_.-]*$/, 'letters, digits and : _ . - only')
        .default('switchboard:'),
      /** How long the leader's lease lasts unrenewed: a dead leader is replaced after this. */
      leaseMs: ms.min(500).max(60_000).default(3000),
      /** This hub's name in the cluster (default: host name, pid and a random suffix). */
      hubId: z
        .string()
        .min(1)
        .max(100)
        .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits and _ . - only')
        .optional(),
      /** The host other hubs reach this one's HTTP port at (default: server.host, or the host name when it binds every address). */
      advertiseHost: z.string().min(1).max(255).optional(),
      /**
       * Redis Sentinel instead of one address: `host:port` of each sentinel (a list, or one
       * comma-separated string). Set, it puts the hub on the Redis engine like `url` does;
       * the master is `sentinelName`, and a failover is followed by every connection.
       */
      sentinels: z
        .preprocess(
          (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()) : v),
          z
            .array(z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'host:port'))
            .min(1)
            .max(16),
        )
        .optional(),
      sentinelName: z.string().min(1).max(200).default('mymaster'),
      /**
       * Acknowledge a write only once this many replicas have it (Redis WAIT): with Sentinel,
       * what a failover to a lagging replica would lose otherwise. 0 = Redis's answer is enough.
       */
      waitReplicas: z.number().int().min(0).max(10).default(0),
      waitReplicasTimeoutMs: ms.min(10).max(60_000).default(1000),
      /** The master's password (with sentinels; with `url`, put it in the URL). */
      password: z.string().min(1).max(1000).optional(),
    })
    .prefault({}),
  limits: limitsSchema,
  federation: federationSchema,
  workspaces: workspacesSchema,
  /** Per-queue limits applied at start (queues-schema.ts, docs/rate-limits.md). */
  queues: queuesSchema,
});

export type HubConfig = z.infer<typeof configSchema>;
/** What a file, the environment or flags may say: any subset. */
export type ConfigInput = z.input<typeof configSchema>;
