import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ClusterHub, ClusterSource } from '../gateway/cluster-operations.js';
import { readLeader } from './leader-info.js';
import type { ClusterNames } from './relay-channels.js';

/**
 * The hubs of a cluster on the Redis engine, for GET /api/v1/cluster: the leader from its
 * record (`:leader`) and every edge from its presence key (`:edge:<hubId>`). Both keys live
 * only while their hub refreshes them (a TTL), so a hub that died drops out of the list
 * within its TTL. "Last seen" is read from Redis's own clock (the key's remaining PTTL against
 * the TTL it was written with), so hubs whose clocks disagree still compare.
 */

/** What an edge writes in its presence key (it used to write `1`: still read, without addresses). */
const presenceSchema = z.strictObject({
  hubId: z.string().min(1).max(200),
  httpUrl: z.string().url().max(500).optional(),
  wsUrl: z.string().url().max(500).optional(),
  ttlMs: z.number().int().positive().max(86_400_000),
});
type Presence = z.infer<typeof presenceSchema>;

/** At most this many edges are listed (a SCAN bound, not a limit of the cluster). */
const MAX_EDGES = 1000;

/** A hub's client-facing addresses from the host it advertises and its ports (0: not open yet). */
export function hubUrls(
  advertiseHost: string,
  tls: boolean,
  ports: { wsPort: number; httpPort: number },
): { httpUrl?: string; wsUrl?: string } {
  const s = tls ? 's' : '';
  const host = advertiseHost.includes(':') ? `[${advertiseHost}]` : advertiseHost;
  return {
    ...(ports.httpPort > 0 ? { httpUrl: `http${s}://${host}:${ports.httpPort}` } : {}),
    ...(ports.wsPort > 0 ? { wsUrl: `ws${s}://${host}:${ports.wsPort}` } : {}),
  };
}

/** The value of an edge's presence key. */
export function presenceRecord(
  hubId: string,
  urls: { httpUrl?: string; wsUrl?: string },
  ttlMs: number,
): string {
  return JSON.stringify({ hubId, ...urls, ttlMs } satisfies Presence);
}

function parsePresence(raw: string | null): Presence | undefined {
  if (raw === null) return undefined;
  try {
    const p = presenceSchema.safeParse(JSON.parse(raw));
    return p.success ? p.data : undefined;
  } catch {
    return undefined;
  }
}

/** SCAN's MATCH is a glob: the prefix of the key is matched as it is. */
const globEscape = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&');

export interface ClusterMembersOptions {
  redis: Redis;
  names: ClusterNames;
  /** The hub answering (it leads: edges forward every HTTP request to the leader). */
  hubId: string;
  /** The TTL of the leader record (the lease's), and of presences written without one. */
  leaseMs: number;
  /** The presence TTL edges use (cluster-process.ts: max(1 s, leaseMs)). */
  presenceTtlMs: number;
  now?: () => number;
}

export function clusterMembers(o: ClusterMembersOptions): ClusterSource {
  const now = o.now ?? Date.now;
  const edgePrefix = o.names.edgeKey('');
  return async () => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await o.redis.scan(
        cursor,
        'MATCH',
        `${globEscape(edgePrefix)}*`,
        'COUNT',
        200,
      );
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0' && keys.length < MAX_EDGES);
    const edgeKeys = [...new Set(keys)].sort().slice(0, MAX_EDGES);
    const pipe = o.redis.pipeline();
    pipe.pttl(o.names.leaderKey);
    for (const k of edgeKeys) pipe.get(k).pttl(k);
    const [replies, leader] = await Promise.all([pipe.exec(), readLeader(o.redis, o.names)]);
    const at = now();
    const value = (i: number): unknown => {
      const [err, v] = replies?.[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      return v;
    };
    /** When the key was last written, from what remains of the TTL it was written with. */
    const seen = (pttl: unknown, ttlMs: number): number =>
      typeof pttl === 'number' && pttl >= 0 ? at - Math.max(0, ttlMs - pttl) : at;

    const hubs: ClusterHub[] = [];
    if (leader) {
      hubs.push({
        hubId: leader.hubId,
        role: 'leader',
        httpUrl: leader.httpUrl,
        wsUrl: leader.wsUrl,
        lastSeenAt: leader.hubId === o.hubId ? at : seen(value(0), o.leaseMs),
        self: leader.hubId === o.hubId,
      });
    }
    edgeKeys.forEach((key, i) => {
      const raw = value(1 + i * 2);
      const pttl = value(2 + i * 2);
      if (typeof raw !== 'string') return; // expired between SCAN and GET
      const hubId = key.slice(edgePrefix.length);
      if (hubs.some((h) => h.hubId === hubId)) return; // took over since: it leads now
      const p = parsePresence(raw);
      hubs.push({
        hubId,
        role: 'edge',
        ...(p?.httpUrl ? { httpUrl: p.httpUrl } : {}),
        ...(p?.wsUrl ? { wsUrl: p.wsUrl } : {}),
        lastSeenAt: seen(pttl, p?.ttlMs ?? o.presenceTtlMs),
        self: hubId === o.hubId,
      });
    });
    // The answering hub leads but its record is not written yet (a takeover under way).
    if (!hubs.some((h) => h.self)) {
      hubs.unshift({ hubId: o.hubId, role: 'leader', lastSeenAt: at, self: true });
    }
    return { engine: 'redis', at, hubs };
  };
}
