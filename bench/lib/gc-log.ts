import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchScript } from './paths.js';

/** A server's GC pauses, recorded by gc-recorder.ts, in Unix ms. */
export interface GcPause {
  readonly start: number;
  readonly duration: number;
}

/** Node flags and environment that make a server process record its GC pauses to `path`. */
export function gcRecording(): {
  path: string;
  nodeFlags: string[];
  env: Record<string, string>;
  /** Delete the log and its directory (after the server has stopped). */
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-gc-'));
  const path = join(dir, 'gc.log');
  return {
    path,
    nodeFlags: ['--import', pathToFileURL(benchScript('lib/gc-recorder.js')).href],
    env: { SWITCHBOARD_BENCH_GC_LOG: path },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function readGcLog(path: string): GcPause[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: GcPause[] = [];
  for (const line of text.split('\n')) {
    const [start, duration] = line.split(' ').map(Number);
    if (Number.isFinite(start) && Number.isFinite(duration))
      out.push({ start: start!, duration: duration! });
  }
  return out;
}

export interface TailAttribution {
  /** Share of the slow tasks (pickup ≥ p99) that waited through a server GC pause, %. */
  readonly tailInGcPct: number;
  /** Longest server GC pause while those tasks were measured, ms. */
  readonly maxPauseMs: number;
}

/**
 * Which slow pickups a server GC pause explains: a task whose submit → handler-start window
 * overlaps a pause of the server waited for it; the others were slowed by something else
 * (the load generator, the kernel, the machine).
 */
export function attributeTail(
  windows: readonly (readonly [number, number])[],
  pauses: readonly GcPause[],
  measuredFrom: number,
  measuredTo: number,
): TailAttribution {
  let inGc = 0;
  for (const [from, to] of windows) {
    if (pauses.some((p) => p.start < to && p.start + p.duration > from)) inGc++;
  }
  let maxPauseMs = 0;
  for (const p of pauses) {
    if (p.start + p.duration >= measuredFrom && p.start <= measuredTo) {
      maxPauseMs = Math.max(maxPauseMs, p.duration);
    }
  }
  return { tailInGcPct: windows.length ? (100 * inGc) / windows.length : 0, maxPauseMs };
}
