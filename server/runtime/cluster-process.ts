import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { CloseCode } from '../../protocol/index.js';
import type { HubConfig } from '../config/index.js';
import { clusterMembers, hubUrls, presenceRecord } from '../cluster/cluster-members.js';
import { EdgeHub } from '../cluster/edge-hub.js';
import { writeLeader } from '../cluster/leader-info.js';
import { clusterNames } from '../cluster/relay-channels.js';
import { RelayServer } from '../cluster/relay-server.js';
import {
  checkRedisConfig,
  RedisLease,
  RedisStandby,
  RedisStore,
  redisKeys,
  stopCompactionThread,
  stopLeaseThread,
  warmLeaseThread,
  type Recovered,
} from '../store/index.js';
import { TlsSource } from '../transport/tls-options.js';
import { startHubProcess, type RunningHub, type StartOptions } from './hub-process.js';
import { coreOptionsFrom } from './core-options.js';
import { createLogger } from './logger.js';

export interface ClusterMember {
  readonly hubId: string;
  /** 'leader' while this hub runs the core; 'edge' while it relays to the one that does. */
  readonly role: 'leader' | 'edge' | 'stopped';
  /** The leading hub's running parts, while this hub leads. */
  readonly running: RunningHub | undefined;
  readonly log: Logger;
  wsPort: number;
  httpPort: number;
  stop(reason: string): Promise<void>;
}

/**
 * A hub on the Redis engine. Every hub with the same Redis and key prefix is one cluster;
 * one of them, the holder of a lease in Redis, leads: it runs the core (the same hub as on
 * the embedded store, its journal written to a Redis stream under a fencing epoch). Every
 * other hub is an edge that relays its clients to the leader. A hub moves between the two
 * roles in this loop, on the same ports: an edge takes over when the lease is free (the
 * leader died or was cut off), and a leader that loses its lease (a successor's epoch fences
 * its writes) steps down at once and serves as an edge.
 */
export async function startClusterMember(
  config: HubConfig,
  options: Pick<StartOptions, 'handleSignals'> = {},
): Promise<ClusterMember> {
  const target = redisTarget(config.redis);
  if (config.auth.enabled && !config.auth.secret && !config.auth.secretFile) {
    // Each hub would make its own secret in its own data dir: tokens minted by one would
    // be refused by the next leader.
    throw new Error(
      'several hubs share one cluster: set auth.secretFile (or SWITCHBOARD_AUTH_SECRET) to the same secret on every hub',
    );
  }
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty });
  const hubId =
    config.redis.hubId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const prefix = config.redis.keyPrefix.replace(/:+$/, '') || 'switchboard';
  const names = clusterNames(prefix);
  const keys = redisKeys(prefix);
  const leaseMs = config.redis.leaseMs;
  // Relay traffic must not queue while Redis is away (it would arrive stale); commands of
  // the lease and the leader record fail fast too, and are retried on their own timers.
  const connect = (name: string): Redis => {
    const own = {
      connectionName: `switchboard:${hubId}:${name}`,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (n: number) => Math.min(50 * n, 500),
    };
    const redis =
      typeof target === 'string' ? new Redis(target, own) : new Redis({ ...target, ...own });
    // Reconnects are logged by whoever notices (a refused submit, /ready); not once per try.
    redis.on('error', () => {});
    return redis;
  };
  const pub = connect('relay-pub');
  const sub = connect('relay-sub');
  // The lease renews on a connection of its own: behind a large write it could miss its deadline.
  const leaseConn = connect('lease');
  try {
    await Promise.all([waitReady(pub), waitReady(sub), waitReady(leaseConn)]);
    // Every hub refuses a Redis that may evict, edges too: any of them may lead next.
    await checkRedisConfig(pub, log);
  } catch (err) {
    for (const r of [pub, sub, leaseConn]) r.disconnect();
    throw err;
  }
  // Any hub may lead next: its lease renewal thread runs before it does (see warmLeaseThread).
  warmLeaseThread(leaseConn);
  const tls = config.server.tls ? TlsSource.load(config.server.tls) : undefined;
  const advertiseHost =
    config.redis.advertiseHost ??
    (config.server.host === '0.0.0.0' || config.server.host === '::'
      ? hostname()
      : config.server.host);

  let role: ClusterMember['role'] = 'edge';
  let running: RunningHub | undefined;
  let edge: EdgeHub | undefined;
  let stopped = false;
  /** While an edge: the warm standby a takeover starts from (redis-standby.ts). */
  let standby: RedisStandby | undefined;
  const startStandby = (): void => {
    standby?.stop();
    standby = new RedisStandby({
      redis: target,
      keys,
      hubId,
      coreOptions: coreOptionsFrom(config),
      logger: log,
    });
    standby.start();
  };
  let leaderTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let wsPort = config.server.wsPort;
  let httpPort = config.server.httpPort;

  const pollMs = Math.max(100, leaseMs / 3);
  const presenceTtlMs = Math.max(1000, leaseMs);
  /**
   * When the lease seen last expires unless its holder renews it (Redis's PTTL at the try):
   * the next try is timed to that instant rather than to the next poll, and a takeover says
   * how long after it the lease was taken.
   */
  let heldUntil: { holder: string; at: number } | undefined;
  /** How long to wait before the next try: to the holder's expiry if sooner than a poll. */
  /** The lease was taken and lost again before this hub could lead: it is likely free. */
  let retrySoon = false;
  const nextTryInMs = (): number => {
    if (retrySoon) {
      retrySoon = false;
      return 5;
    }
    if (!heldUntil) return pollMs;
    return Math.max(5, Math.min(pollMs, heldUntil.at - Date.now() + 5));
  };

  /** Take the lease if it is free: the opened store and what it recovered, or undefined. */
  const tryLead = async (): Promise<Won | undefined> => {
    let lease: RedisLease;
    const askedAt = Date.now();
    const seen = heldUntil;
    try {
      const got = await RedisLease.tryAcquire(leaseConn, keys, hubId, leaseMs);
      if (!got.acquired) {
        heldUntil =
          got.expiresInMs >= 0 ? { holder: got.holder, at: askedAt + got.expiresInMs } : undefined;
        return undefined;
      }
      lease = got.lease;
    } catch (err) {
      heldUntil = undefined;
      log.warn({ err: (err as Error).message }, 'cluster: could not ask for the lease');
      return undefined;
    }
    heldUntil = undefined;
    const acquiredAt = Date.now();
    // The previous holder's lease ran out at seen.at (or was released before that): the
    // takeover's clock starts there. A hub that found the lease free at its first try
    // (a cluster starting) has no predecessor to measure from.
    const takeover: Takeover = {
      acquiredAt,
      ...(seen ? { previous: seen.holder, expiredAt: Math.min(seen.at, acquiredAt) } : {}),
    };
    log.info(
      {
        hubId,
        epoch: lease.epoch,
        ...(seen
          ? { previous: seen.holder, afterExpiryMs: Math.max(0, acquiredAt - seen.at) }
          : {}),
      },
      'cluster: took the lease; loading the state from Redis',
    );
    const store = new RedisStore({
      redis: target,
      prefix,
      hubId,
      leaseMs,
      lease,
      waitReplicas: {
        count: config.redis.waitReplicas,
        timeoutMs: config.redis.waitReplicasTimeoutMs,
      },
      snapshotIntervalMs: config.store.snapshotIntervalMs,
      replayOptions: coreOptionsFrom(config),
      // The store takes the standby's core (or loads cold): it is used up either way.
      ...(standby ? { standby } : {}),
      logger: log,
    });
    standby = undefined;
    try {
      const recovered = await store.open();
      takeover.openedAt = Date.now();
      return { store, recovered, takeover };
    } catch (err) {
      // Refused (Redis evicts keys, or went away mid-load), or the lease was lost while
      // loading: the store released what it held. Try again at once.
      log.error(
        { err: (err as Error).message, ms: Date.now() - acquiredAt },
        'cluster: took the lease but could not lead',
      );
      retrySoon = true;
      return undefined;
    }
  };

  const lead = async ({ store, recovered, takeover }: Won): Promise<void> => {
    role = 'leader';
    let steppedDown = false;
    /** The hub being started: the lease can be lost during its recovery, before it runs. */
    let starting: Promise<RunningHub> | undefined;
    const stepDown = (why: string): void => {
      if (steppedDown || stopped) return;
      steppedDown = true;
      // Lost during a takeover, the lease is most likely free now: the next try comes at once.
      retrySoon = true;
      log.warn({ hubId, why }, 'cluster: this hub no longer leads; stepping down');
      clearInterval(leaderTimer);
      // Fenced: nothing this hub holds may be written any more, not even a last snapshot.
      store.abandon();
      const pending = starting;
      void (async () => {
        // A hub still starting holds the ports: it finishes (or fails and closes them) first.
        const r = (await pending?.catch(() => undefined)) ?? running;
        running = undefined;
        await r
          ?.abandon(CloseCode.SERVICE_RESTART, 'the cluster leader changed; reconnect')
          .catch((err: Error) => log.warn({ err: err.message }, 'cluster: stepping down failed'));
        await serveAsEdgeWhenPossible();
      })();
    };
    starting = startHubProcess(
      { ...config, server: { ...config.server, wsPort, httpPort } },
      {
        handleSignals: false,
        cluster: {
          store,
          recovered,
          transports: [(handlers) => new RelayServer(sub, pub, names, hubId, handlers, log)],
          onStoreFatal: (err) => stepDown(err.message),
          log,
          hubId,
          members: clusterMembers({ redis: pub, names, hubId, leaseMs, presenceTtlMs }),
        },
      },
    );
    let started: RunningHub;
    try {
      started = await starting;
    } catch (err) {
      // Lost the lease while recovering: stepDown() has taken this hub back to an edge.
      if (steppedDown) return;
      throw err;
    } finally {
      starting = undefined;
    }
    if (steppedDown) return; // stepDown() abandons the hub it started
    running = started;
    wsPort = started.hub.wsPort;
    httpPort = started.http.port;
    const scheme = tls ? 's' : '';
    const info = {
      hubId,
      epoch: store.epoch,
      httpUrl: `http${scheme}://${advertiseHost}:${httpPort}`,
      wsUrl: `ws${scheme}://${advertiseHost}:${wsPort}`,
    };
    const announce = async (): Promise<void> => {
      try {
        if (!(await writeLeader(pub, names, keys.lease, info, leaseMs))) {
          stepDown('the lease names another hub');
        }
      } catch {
        // Redis unreachable: the store's lease decides when this hub must stop leading.
      }
    };
    const startedAt = Date.now();
    await announce();
    leaderTimer = setInterval(() => void announce(), Math.max(100, leaseMs / 3));
    leaderTimer.unref();
    const servingAt = Date.now();
    log.info(
      {
        hubId,
        epoch: store.epoch,
        wsPort,
        httpPort,
        // A takeover's phases, so an operator sees where the time to serve again went:
        // the lease free -> taken (polling), taken -> the store open (snapshot and log
        // read), open -> the hub started (replay, ports), started -> announced to edges.
        takeover: {
          ...(takeover.expiredAt !== undefined
            ? { previous: takeover.previous, totalMs: servingAt - takeover.expiredAt }
            : {}),
          ...(takeover.expiredAt !== undefined
            ? { leaseWaitMs: takeover.acquiredAt - takeover.expiredAt }
            : {}),
          openMs: (takeover.openedAt ?? takeover.acquiredAt) - takeover.acquiredAt,
          ...(takeover.edgeStoppedAt !== undefined
            ? { edgeStopMs: takeover.edgeStoppedAt - (takeover.openedAt ?? takeover.acquiredAt) }
            : {}),
          startMs: startedAt - (takeover.edgeStoppedAt ?? takeover.openedAt ?? takeover.acquiredAt),
          announceMs: servingAt - startedAt,
          sinceAcquiredMs: servingAt - takeover.acquiredAt,
        },
      },
      'cluster: this hub leads',
    );
  };

  const serveAsEdge = async (): Promise<void> => {
    role = 'edge';
    edge = new EdgeHub({
      hubId,
      host: config.server.host,
      wsPort,
      httpPort,
      transport: config.server.transport,
      tls,
      maxPayloadBytes: config.server.maxFrameBytes * 4,
      maxBackpressureBytes: config.server.maxBackpressureBytes,
      idleTimeoutSec: Math.max(8, Math.ceil((config.workers.heartbeatIntervalMs * 3) / 1000)),
      headersTimeoutMs: config.limits.http.headersTimeoutMs,
      requestTimeoutMs: config.limits.http.requestTimeoutMs,
      presenceTtlMs,
      presence: (ports) =>
        presenceRecord(hubId, hubUrls(advertiseHost, !!tls, ports), presenceTtlMs),
      leaderPollMs: Math.max(100, Math.min(500, leaseMs / 4)),
      names,
      sub,
      pub,
      log,
    });
    await edge.start();
    wsPort = edge.wsPort;
    httpPort = edge.httpPort;
    startStandby();
    const attempt = async (): Promise<void> => {
      if (stopped || role !== 'edge') return;
      const won = await tryLead();
      if (stopped) {
        await won?.store.close();
        return;
      }
      if (!won) {
        // A store that could not open used the standby up: a new one for the next try.
        if (!standby) startStandby();
        retryTimer = setTimeout(attemptOrExit, nextTryInMs());
        return;
      }
      const e = edge;
      edge = undefined;
      await e?.stop(CloseCode.SERVICE_RESTART, 'this hub takes over as the leader; reconnect');
      won.takeover.edgeStoppedAt = Date.now();
      await lead(won);
    };
    const attemptOrExit = (): void => {
      attempt().catch((err: Error) => {
        // Half started (ports open, store open): no state to go back to an edge from. The
        // lease expires on its own; another hub, or this one restarted, takes over.
        log.fatal({ err: err.message }, 'cluster: could not take over as the leader; exiting');
        process.exit(1);
      });
    };
    retryTimer = setTimeout(attemptOrExit, nextTryInMs());
  };

  /** Redis may be away right now (that is often why the lease was lost): retry until it answers. */
  const serveAsEdgeWhenPossible = async (): Promise<void> => {
    for (let delay = 100; !stopped; delay = Math.min(delay * 2, 2000)) {
      try {
        await serveAsEdge();
        return;
      } catch (err) {
        await edge?.stop().catch(() => undefined);
        edge = undefined;
        log.warn(
          { err: (err as Error).message, retryInMs: delay },
          'cluster: cannot serve as an edge yet',
        );
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };

  const first = await tryLead();
  if (first) await lead(first);
  else await serveAsEdge();

  const member: ClusterMember = {
    hubId,
    get role() {
      return role;
    },
    get running() {
      return running;
    },
    log,
    get wsPort() {
      return wsPort;
    },
    get httpPort() {
      return httpPort;
    },
    stop: async (reason: string) => {
      if (stopped) return;
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(leaderTimer);
      standby?.stop();
      await edge?.stop();
      await running?.stop(reason);
      await Promise.all([stopCompactionThread(), stopLeaseThread()]);
      role = 'stopped';
      pub.disconnect();
      sub.disconnect();
      leaseConn.disconnect();
    },
  };

  if (options.handleSignals) {
    const onSignal = (sig: NodeJS.Signals): void => {
      member.stop(sig).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return member;
}

/** When each step of taking over the lease ended (Date.now()), for the takeover's log line. */
interface Takeover {
  /** The hub whose lease ran out, and when (from the PTTL the last refused try read). */
  previous?: string;
  expiredAt?: number;
  acquiredAt: number;
  openedAt?: number;
  edgeStoppedAt?: number;
}

/** A lease taken: the store opened under it, what it recovered, how long each step took. */
interface Won {
  store: RedisStore;
  recovered: Recovered;
  takeover: Takeover;
}

/** A URL, or the sentinels' options: where every connection of this hub goes. */
function redisTarget(redis: HubConfig['redis']): string | RedisOptions {
  if (redis.sentinels) {
    return {
      sentinels: redis.sentinels.map((hp) => {
        const i = hp.lastIndexOf(':');
        return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
      }),
      name: redis.sentinelName,
      ...(redis.password ? { password: redis.password } : {}),
    };
  }
  if (!redis.url) throw new Error('the Redis engine needs redis.url or redis.sentinels');
  return redis.url;
}

function waitReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      redis.off('ready', onReady);
      redis.disconnect();
      reject(new Error(`cannot reach Redis at redis.url: ${err.message}`));
    };
    const onReady = (): void => {
      redis.off('error', onError);
      resolve();
    };
    redis.once('ready', onReady);
    redis.once('error', onError);
  });
}
