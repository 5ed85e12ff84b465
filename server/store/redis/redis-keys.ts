/**
 * Every Redis key of one Switchboard cluster, derived from its key prefix. All of them carry
 * the same hash tag (`{sb:<prefix>}`), so they live in one Redis Cluster slot: the Lua
 * scripts that fence a write (check the epoch, append to the log) touch several keys at
 * once, and Redis Cluster runs a script only when all its keys share a slot.
 */
export interface RedisKeys {
  readonly prefix: string;
  /** The hash tag every key starts with. */
  readonly tag: string;
  /** STRING: the hub id of the leader, with a TTL (the lease). */
  readonly lease: string;
  /** STRING: the fencing token, incremented on every acquisition of the lease. */
  readonly epoch: string;
  /** STREAM: the journal; one entry per batch, id `<last seq of the batch>-0`. */
  readonly log: string;
  /** STRING: the highest sequence number appended to the log (across leaders). */
  readonly seq: string;
  /** HASH: which snapshot slot is current, the sequence number it covers, its size. */
  readonly snapshot: string;
  /** HASH: the chunks of the snapshot in slot `slot` (field i = chunk i). */
  snapshotSlot(slot: 'a' | 'b'): string;
}

export const DEFAULT_PREFIX = 'switchboard';

/** A prefix that cannot break the hash tag: braces would end it early. */
const PREFIX = /^[A-Za-z0-9._:-]{1,100}$/;

export function redisKeys(prefix: string = DEFAULT_PREFIX): RedisKeys {
  if (!PREFIX.test(prefix))
    throw new RangeError(
      `Redis key prefix ${JSON.stringify(prefix)}: use 1 to 100 of A-Z a-z 0-9 . _ : -`,
    );
  const tag = `{sb:${prefix}}`;
  return {
    prefix,
    tag,
    lease: `${tag}:lease`,
    epoch: `${tag}:epoch`,
    log: `${tag}:log`,
    seq: `${tag}:seq`,
    snapshot: `${tag}:snapshot`,
    snapshotSlot: (slot) => `${tag}:snapshot:${slot}`,
  };
}

/** Every key, for tests and tools that remove a cluster's data. */
export function allRedisKeys(keys: RedisKeys): string[] {
  return [
    keys.lease,
    keys.epoch,
    keys.log,
    keys.seq,
    keys.snapshot,
    keys.snapshotSlot('a'),
    keys.snapshotSlot('b'),
  ];
}
