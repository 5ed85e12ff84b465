/** What can be replayed into: the core, or anything with its apply/takeEffects shape. */
export interface Replayable {
  apply(record: object): unknown;
  takeEffects(): unknown;
}

/** How many records are applied between two offers to yield to the event loop. */
const YIELD_EVERY = 256;

/**
 * Apply journaled records in order. Recovery at start and the compactor's snapshot thread
 * both replay through here, so what a record means after a restart is what it meant live.
 * Effects are dropped: replayed events were delivered and their records journaled before
 * the crash. Every YIELD_EVERY records the loop calls `pause`, which the caller supplies
 * (the core reads no clock and schedules nothing itself) and awaits what it returns: the hub
 * returns a macrotask turn once enough time has passed since the last (by time, not count:
 * a starved machine is ten times slower), so its HTTP side port answers (GET /ready says
 * "recovering") and its timers run during a long replay.
 */
export async function replay(
  core: Replayable,
  records: Iterable<object> | AsyncIterable<object>,
  pause?: () => Promise<void> | undefined,
): Promise<number> {
  let n = 0;
  for await (const record of records) {
    core.apply(record);
    if (++n % YIELD_EVERY === 0) {
      core.takeEffects();
      const turn = pause?.();
      if (turn) await turn;
    }
  }
  core.takeEffects();
  return n;
}
