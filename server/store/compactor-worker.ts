import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Unpackr } from 'msgpackr';
import type { CompactionJob } from './compactor.js';
import { readSnapshotFile, snapshotName, writeSnapshotFile } from './snapshot-file.js';
import { segmentPath } from './wal-files.js';
import { readRecord } from './wal-record.js';

interface Replayable {
  apply(record: object): unknown;
  takeEffects(): unknown;
  snapshot(): object;
  tasks?: { size: number };
}
interface ReplayerClass {
  restore(snapshot: unknown, options?: object): Replayable;
}

/**
 * Compaction thread: previous snapshot + closed segments → replay through the pure core →
 * new snapshot. Runs off the main thread; the live hub keeps serving meanwhile.
 */
async function main(job: CompactionJob): Promise<{ records: number; tasks: number }> {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const spec = job.replayer ?? {
    module: new URL(`../core/index${ext}`, import.meta.url).href,
    exportName: 'Core',
  };
  const mod = (await import(spec.module)) as Record<string, ReplayerClass>;
  const Replayer = mod[spec.exportName];
  if (!Replayer) throw new Error(`${spec.module} has no export ${spec.exportName}`);
  const base =
    job.baseSnapshot === undefined
      ? undefined
      : readSnapshotFile(path.join(job.dir, snapshotName(job.baseSnapshot))).state;
  const core = Replayer.restore(base, job.replayOptions);
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
  let records = 0;
  for (const s of job.segments) {
    const buf = readFileSync(segmentPath(job.dir, s));
    let offset = 0;
    for (;;) {
      const r = readRecord(buf, offset);
      if (r.kind !== 'record') {
        if (r.kind === 'end') break;
        throw new Error(`segment ${s} is damaged at byte ${offset}; compaction skipped`);
      }
      core.apply(unpackr.unpack(r.payload) as object);
      if ((++records & 1023) === 0) core.takeEffects();
      offset = r.next;
    }
  }
  core.takeEffects();
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
