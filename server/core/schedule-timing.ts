import { Cron } from 'croner';

/**
 * When a schedule's occurrences are: croner for cron expressions (seconds, time zones, DST),
 * plain arithmetic for intervals. Pure: every answer is computed from the time passed in,
 * never from the clock (croner reads the clock only when it is given no date, which this
 * module never does).
 */
export type ScheduleTiming =
  { kind: 'cron'; cron: string; tz: string } | { kind: 'every'; everyMs: number; anchor: number };

/** The UTC zone name croner takes when none is given. */
export const DEFAULT_TZ = 'UTC';

/** Parsed expressions by expression and zone: a fire computes its next without reparsing. */
const parsed = new Map<string, Cron>();

function cronOf(cron: string, tz: string): Cron {
  const key = `${tz}\u0000${cron}`;
  let c = parsed.get(key);
  if (!c) {
    // paused: croner never starts a timer of its own; this object only computes dates.
    c = new Cron(cron, { timezone: tz, paused: true });
    if (parsed.size >= 10_000) parsed.clear();
    parsed.set(key, c);
  }
  return c;
}

/**
 * What is wrong with a cron expression and zone, for the field it concerns, or undefined
 * when it is good: it parses, the zone exists, and it has an occurrence after `now` (a
 * "30 February" never fires, and a schedule that never fires is a mistake to refuse).
 */
export function timingProblem(
  cron: string,
  tz: string,
  now: number,
): { field: 'cron' | 'tz'; message: string } | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return { field: 'tz', message: `unknown time zone "${tz}" (an IANA name: Europe/Berlin, UTC)` };
  }
  let c: Cron;
  try {
    c = cronOf(cron, tz);
  } catch (err) {
    return { field: 'cron', message: `"${cron}": ${(err as Error).message}` };
  }
  // A Date of the `now` the command carries: croner takes Dates; no clock is read here.
  if (c.nextRun(new Date(now)) === null)
    return { field: 'cron', message: `"${cron}" has no occurrence after now` };
  return undefined;
}

/**
 * The first occurrence strictly after `after` (Unix ms), or undefined when there is none.
 * Cron occurrences are whole seconds in the expression's zone: a wall time that a DST change
 * skips runs at the first valid moment after it, one that repeats runs once (the first).
 */
export function nextOccurrence(timing: ScheduleTiming, after: number): number | undefined {
  if (timing.kind === 'every') {
    const { everyMs, anchor } = timing;
    if (after < anchor) return anchor + everyMs;
    return anchor + (Math.floor((after - anchor) / everyMs) + 1) * everyMs;
  }
  const next = cronOf(timing.cron, timing.tz).nextRun(new Date(after));
  return next === null ? undefined : next.getTime();
}
