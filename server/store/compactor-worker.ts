import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Unpackr } from 'msgpackr';
import { Core, replay, type Replayable } from '../core/index.js';
import type { CompactionJob } from './compactor.js';
import { readSnapshotFile, snapshotName, writeSnapshotFile } from './snapshot-file.js';
import { segmentPath } from './wal-files.js';
import { readRecord } from './wal-record.js';

interface Snapshotting extends Replayable {
  snapshot(): object;
  tasks?: { size: number };
}
interface ReplayerClass {
  restore(snapshot: unknown, options?: object): Snapshotting;
}

/** The records of the closed segments, in order; a damaged one stops the compaction. */
function* segmentRecords(job: CompactionJob): Generator<object> {
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
  for (const s of job.segments) {
    const buf = readFileSync(segmentPath(job.dir, s));
    let offset = 0;
    for (;;) {
      const r = readRecord(buf, offset);
      if (r.kind !== 'record') {
        if (r.kind === 'end') break;
        throw new Error(`segment ${s} is damaged at byte ${offset}; compaction skipped`);
      }
      yield unpackr.unpack(r.payload) as object;
      offset = r.next;
    }
  }
}

/**
 * Compaction thread: previous snapshot + closed segments → replay through the pure core →
 * new snapshot. Runs off the main thread; the live hub keeps serving meanwhile.
 */
async function main(job: CompactionJob): Promise<{ records: number; tasks: number }> {
  // The live core by a static import (so import tools see the edge); tests may name another.
  let Replayer: ReplayerClass = Core;
  if (job.replayer) {
    const mod = (await import(job.replayer.module)) as Record<string, ReplayerClass>;
    const named = mod[job.replayer.exportName];
    if (!named) throw new Error(`${job.replayer.module} has no export ${job.replayer.exportName}`);
    Replayer = named;
  }
  const base =
    job.baseSnapshot === undefined
      ? undefined
      : readSnapshotFile(path.join(job.dir, snapshotName(job.baseSnapshot))).state;
  const core = Replayer.restore(base, job.replayOptions);
  const records = await replay(core, segmentRecords(job));
  writeSnapshotFile(job.dir, {
    coversSegment: job.coversSegment,
    createdAt: Date.now(),
    state: core.snapshot(),
  });
  return { records, tasks: core.tasks?.size ?? 0 };
}

main(workerData as CompactionJob).then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (err: unknown) => parentPort!.postMessage({ ok: false, error: (err as Error).message }),
);
