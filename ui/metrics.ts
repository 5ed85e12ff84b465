/**
 * The series behind the overview's charts, kept from sign-in on (the page can be left and
 * come back to): task events per second counted from the event stream, and queue depths
 * sampled from /api/v1/stats when events say they moved (at most once a second) or every
 * 5 s. Memory is bounded: WINDOW one-second buckets.
 */
import { api, type StatsJson } from './api-client.js';
import { events, type HubEvent } from './event-stream.js';

export const WINDOW = 300;
export const RATE_TYPES = ['task.submitted', 'task.completed', 'task.failed', 'task.dead'] as const;
export type RateType = (typeof RATE_TYPES)[number];

export interface Series {
  /** Second (Unix s) of the last bucket; bucket i is `end - (len - 1 - i)`. */
  end: number;
  rates: Record<RateType, number[]>;
  queued: number[];
  leased: number[];
  last: StatsJson | undefined;
}

const empty = (): number[] => [];
export const series: Series = {
  end: Math.floor(Date.now() / 1000),
  rates: Object.fromEntries(RATE_TYPES.map((t) => [t, empty()])) as Record<RateType, number[]>,
  queued: [],
  leased: [],
  last: undefined,
};

const listeners = new Set<() => void>();
export const onSeries = (f: () => void): (() => void) => (
  listeners.add(f),
  () => listeners.delete(f)
);

/** Moves every series on to the current second, filling the gap (no events: 0; depth: as last). */
function advance(now: number): void {
  const sec = Math.floor(now / 1000);
  while (series.end < sec) {
    series.end++;
    for (const t of RATE_TYPES) push(series.rates[t], 0);
    push(series.queued, series.queued.at(-1) ?? 0);
    push(series.leased, series.leased.at(-1) ?? 0);
  }
  if (series.queued.length === 0) {
    for (const t of RATE_TYPES) push(series.rates[t], 0);
    push(series.queued, 0);
    push(series.leased, 0);
  }
}
function push(a: number[], v: number): void {
  a.push(v);
  if (a.length > WINDOW) a.shift();
}
const setLast = (a: number[], v: number) => (a[a.length - 1] = v);

let stop: (() => void) | undefined;

export function startMetrics(): void {
  if (stop) return;
  let sampling = false;
  let dirty = true;
  const sample = () => {
    if (sampling || !dirty) return;
    sampling = true;
    dirty = false;
    api.stats().then(
      (s) => {
        sampling = false;
        advance(Date.now());
        series.last = s;
        setLast(series.queued, s.tasks.queued);
        setLast(series.leased, s.tasks.leased);
        for (const f of listeners) f();
      },
      () => (sampling = false),
    );
  };
  const off = events.subscribe((e: HubEvent) => {
    if (!e.type.startsWith('task.') && !e.type.startsWith('queue.')) return;
    dirty = true;
    const i = (RATE_TYPES as readonly string[]).indexOf(e.type);
    if (i < 0) return;
    advance(Date.now());
    const a = series.rates[RATE_TYPES[i]!];
    setLast(a, (a.at(-1) ?? 0) + 1);
  });
  const tick = setInterval(() => {
    advance(Date.now());
    sample();
    for (const f of listeners) f();
  }, 1000);
  const idle = setInterval(() => (dirty = true), 5000);
  sample();
  stop = () => (off(), clearInterval(tick), clearInterval(idle), (stop = undefined));
}

export const stopMetrics = (): void => stop?.();
