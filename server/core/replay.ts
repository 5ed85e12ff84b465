/** What can be replayed into: the core, or anything with its apply/takeEffects shape. */
export interface Replayable {
  apply(record: object): unknown;
  takeEffects(): unknown;
}

/** How many records are applied between two yields to the event loop. */
const YIELD_EVERY = 8192;

/**
 * Apply journaled records in order. Recovery at start and the compactor's snapshot thread
 * both replay through here, so what a record means after a restart is what it meant live.
 * Effects are dropped: replayed events were delivered and their records journaled before
 * the crash. Every YIELD_EVERY records the loop awaits `pause`, which the caller supplies
 * (the core schedules nothing itself): the hub passes a macrotask turn, so its HTTP side
 * port can answer (GET /ready says "recovering") during a long replay.
 */
export async function replay(
  core: Replayable,
  records: Iterable<object> | AsyncIterable<object>,
  pause?: () => Promise<void>,
): Promise<number> {
  let n = 0;
  for await (const record of records) {
    core.apply(record);
    if (++n % YIELD_EVERY === 0) {
      core.takeEffects();
      if (pause) await pause();
    }
  }
  core.takeEffects();
  return n;
}
