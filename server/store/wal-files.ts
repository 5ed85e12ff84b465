import { readdirSync } from 'node:fs';
import path from 'node:path';

export function segmentName(index: number): string {
  return `wal-${String(index).padStart(16, '0')}.log`;
}

/** Segment indexes and snapshot coverage found in a data dir, ascending. */
export function listDataFiles(dir: string): { segments: number[]; snapshots: number[] } {
  const segments: number[] = [];
  const snapshots: number[] = [];
  for (const name of readdirSync(dir)) {
    let m = /^wal-(\d{16})\.log$/.exec(name);
    if (m) segments.push(Number(m[1]));
    m = /^snapshot-(\d{16})\.snap$/.exec(name);
    if (m) snapshots.push(Number(m[1]));
  }
  segments.sort((a, b) => a - b);
  snapshots.sort((a, b) => a - b);
  return { segments, snapshots };
}

export function segmentPath(dir: string, index: number): string {
  return path.join(dir, segmentName(index));
}
