import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ClusterNames } from './relay-channels.js';

/** What edges need to know about the leader: whom to relay to, where its HTTP port is. */
export interface LeaderInfo {
  hubId: string;
  epoch: number;
  httpUrl: string;
  wsUrl: string;
}

const leaderInfoSchema = z.strictObject({
  hubId: z.string().min(1).max(200),
  epoch: z.number().int().nonnegative(),
  httpUrl: z.string().url(),
  wsUrl: z.string().url(),
});

// Written only while the lease key still names this hub (and with the lease's TTL), so a
// hub that was paused past its lease cannot point the edges back at itself.
const WRITE_IF_LEASED = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

/** True when written: false means this hub no longer holds the lease. */
export async function writeLeader(
  redis: Redis,
  names: ClusterNames,
  leaseKey: string,
  info: LeaderInfo,
  ttlMs: number,
): Promise<boolean> {
  const ok = await redis.eval(
    WRITE_IF_LEASED,
    2,
    leaseKey,
    names.leaderKey,
    info.hubId,
    JSON.stringify(info),
    String(ttlMs),
  );
  return ok === 1;
}

export async function readLeader(
  redis: Redis,
  names: ClusterNames,
): Promise<LeaderInfo | undefined> {
  const raw = await redis.get(names.leaderKey);
  if (raw === null) return undefined;
  try {
    const parsed = leaderInfoSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
