/**
 * How much to fuzz, and with which seed. Every run prints its seed; the same seed gives the
 * same inputs in the same order (the hub's replies may interleave differently, as on any
 * real network, but what is sent is identical).
 *
 *   SWITCHBOARD_FUZZ_SEED=1234      reproduce a run
 *   SWITCHBOARD_FUZZ_FRAMES=200000  WebSocket frames per transport (default 10,000)
 *   SWITCHBOARD_FUZZ_REQUESTS=50000 REST requests (default 3,000)
 *   SWITCHBOARD_FUZZ_BATCH=500      frames or requests between two health probes
 */
function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number`);
  return n;
}

export const FUZZ_SEED = intFromEnv(
  'SWITCHBOARD_FUZZ_SEED',
  (Date.now() ^ (process.pid << 8)) >>> 0,
);
export const FUZZ_FRAMES = intFromEnv('SWITCHBOARD_FUZZ_FRAMES', 10_000);
export const FUZZ_REQUESTS = intFromEnv('SWITCHBOARD_FUZZ_REQUESTS', 3_000);
export const FUZZ_BATCH = Math.max(1, intFromEnv('SWITCHBOARD_FUZZ_BATCH', 500));

/** A different but reproducible seed for each batch, so one batch can be replayed alone. */
export function batchSeed(seed: number, stream: string, batch: number): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (const ch of `${stream}:${batch}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** The line a failure report starts with: enough to rerun exactly this. */
export function reproLine(extra: Record<string, string | number> = {}): string {
  const vars = {
    SWITCHBOARD_FUZZ_SEED: FUZZ_SEED,
    SWITCHBOARD_FUZZ_FRAMES: FUZZ_FRAMES,
    SWITCHBOARD_FUZZ_REQUESTS: FUZZ_REQUESTS,
    ...extra,
  };
  return Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
