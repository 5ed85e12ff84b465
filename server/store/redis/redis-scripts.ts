import type { Redis } from 'ioredis';

/**
 * The atomic steps of the Redis engine, as Lua. Each one that writes checks the fencing
 * epoch first: a hub whose lease a successor has taken (it incremented the epoch) has every
 * write refused with an error reply starting `FENCED`, whatever it was doing when it was
 * paused or cut off.
 *
 * Scripts are sent with EVAL, not EVALSHA: after a Redis restart the script cache is empty,
 * and the usual EVALSHA-then-EVAL fallback re-sends a batch after batches that were sent
 * later, which would break the log's order (the append script's sequence check would then
 * take the late batch for a resend). Redis caches the compiled script by its SHA either way.
 */
export interface RedisScript {
  readonly name: string;
  readonly lua: string;
  readonly keys: number;
}

export function runScript(
  redis: Redis,
  script: RedisScript,
  keys: readonly string[],
  args: readonly (string | number | Buffer)[],
): Promise<unknown> {
  if (keys.length !== script.keys)
    throw new Error(`${script.name}: ${keys.length} keys given, ${script.keys} expected`);
  return redis.eval(script.lua, script.keys, ...keys, ...args);
}

/** An error reply from a fenced write. */
export function isFencedReply(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('FENCED');
}

/**
 * KEYS lease, epoch. ARGV hubId, ttlMs.
 * Free: take it and increment the epoch -> {1, epoch}. Held -> {0, holder, pttl}.
 */
export const ACQUIRE: RedisScript = {
  name: 'acquire',
  keys: 2,
  lua: `
local holder = redis.call('GET', KEYS[1])
if holder then return {0, holder, redis.call('PTTL', KEYS[1])} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, redis.call('INCR', KEYS[2])}`,
};

/** KEYS lease, epoch. ARGV hubId, epoch, ttlMs. Extend only a lease still ours -> 1, else 0. */
export const RENEW: RedisScript = {
  name: 'renew',
  keys: 2,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0`,
};

/** KEYS lease, epoch. ARGV hubId, epoch. Delete the lease only if still ours -> 1, else 0. */
export const RELEASE: RedisScript = {
  name: 'release',
  keys: 2,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`,
};

/**
 * KEYS seq. Rewrite the log's last sequence number with itself and return it: a write, so a
 * WAIT after it on this connection asks the replicas for everything up to here (a WAIT
 * covers only the writes of its own connection), and changes nothing.
 */
export const TOUCH_SEQ: RedisScript = {
  name: 'touch-seq',
  keys: 1,
  lua: `
local v = redis.call('GET', KEYS[1])
if v then redis.call('SET', KEYS[1], v) end
return v`,
};

const FENCE = `
local current = redis.call('GET', KEYS[1])
if current ~= ARGV[1] then
  return redis.error_reply('FENCED the epoch is ' .. tostring(current) .. ', this hub holds ' .. ARGV[1])
end`;

/**
 * KEYS epoch, seq, log. ARGV epoch, first seq, last seq, records (msgpack, concatenated).
 * Appends one batch as one stream entry `<last>-0` -> 1; a batch whose last seq is already
 * stored is a resend after a lost reply (ioredis re-sends unanswered commands on reconnect)
 * -> 2, appended once. The seq is stored before the entry is added: if XADD failed midway,
 * the batch (reported failed) leaves a gap, never a half entry that a resend would repeat.
 * A batch that does not follow the log's last record is refused (GAP): a batch Redis refused
 * (OOM) is fatal for its store, and the batches it had already sent behind it must not land
 * over the hole, since the core decided them on a state that included the lost one.
 */
export const APPEND: RedisScript = {
  name: 'append',
  keys: 3,
  lua: `${FENCE}
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local first = tonumber(ARGV[2])
local upto = tonumber(ARGV[3])
if upto <= last then return 2 end
if first <= last then
  return redis.error_reply('OVERLAP batch ' .. ARGV[2] .. '-' .. ARGV[3] .. ' overlaps the log, which ends at ' .. last)
end
if first ~= last + 1 then
  return redis.error_reply('GAP batch ' .. ARGV[2] .. '-' .. ARGV[3] .. ' does not follow the log, which ends at ' .. last)
end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('XADD', KEYS[3], ARGV[3] .. '-0', 'f', ARGV[2], 'r', ARGV[4])
return 1`,
};

/**
 * KEYS epoch, slot hash. ARGV epoch, chunk index, bytes. Chunk 0 clears what a previous,
 * unfinished write left in the slot.
 */
export const SNAPSHOT_CHUNK: RedisScript = {
  name: 'snapshot-chunk',
  keys: 2,
  lua: `${FENCE}
if ARGV[2] == '0' then redis.call('DEL', KEYS[2]) end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`,
};

/**
 * KEYS epoch, snapshot meta, new slot, old slot, log. ARGV epoch, slot name, covers seq,
 * chunks, bytes, created at (ms), first log id kept (`<covers + 1>-0`, computed by the caller:
 * Lua numbers are doubles, and tostring() would print a large one as 1e+15). Makes the new slot current once all its chunks are there,
 * drops the old slot, and trims the log entries the snapshot covers (ids <= covers).
 */
export const SNAPSHOT_COMMIT: RedisScript = {
  name: 'snapshot-commit',
  keys: 5,
  lua: `${FENCE}
if redis.call('HLEN', KEYS[3]) ~= tonumber(ARGV[4]) then
  return redis.error_reply('SNAPSHOT slot ' .. ARGV[2] .. ' holds ' .. redis.call('HLEN', KEYS[3]) .. ' chunks, ' .. ARGV[4] .. ' expected')
end
redis.call('HSET', KEYS[2], 'slot', ARGV[2], 'covers', ARGV[3], 'chunks', ARGV[4], 'bytes', ARGV[5], 'at', ARGV[6], 'epoch', ARGV[1])
redis.call('DEL', KEYS[4])
redis.call('XTRIM', KEYS[5], 'MINID', ARGV[7])
return 1`,
};
