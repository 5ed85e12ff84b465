import {
  existsSync,
  ftruncateSync,
  openSync,
  closeSync,
  readFileSync,
  renameSync,
  fsyncSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Unpackr } from 'msgpackr';
import { fsyncDir } from './data-dir.js';
import { StoreCorruptError } from './errors.js';
import { snapshotName, readSnapshotFile } from './snapshot-file.js';
import type { StoreLogger } from './store.js';
import { listDataFiles, segmentPath } from './wal-files.js';
import { readRecord, validRecordAfter } from './wal-record.js';

export interface ReadLog {
  snapshot: unknown;
  /** Payloads (msgpack) in order; decoded lazily by `records`. */
  payloads: Buffer[];
  records: Iterable<object>;
  /** The segment new records should go to, and its valid size. */
  lastSegment: number;
  lastSegmentBytes: number;
  segments: number;
  droppedTailBytes: number;
  droppedTailRecords: number;
  hadSnapshot: boolean;
}

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/**
 * Recovery's read side: the newest snapshot, then every segment it does not cover, in
 * order. A damaged record with nothing valid after it in the last segment is a torn write
 * from the crash: truncate it. Damage with valid records after it (or in an earlier
 * segment) means the disk lost acknowledged data: refuse, unless `repair`.
 */
export function readLog(dir: string, repair: boolean, log?: StoreLogger): ReadLog {
  const { segments, snapshots } = listDataFiles(dir);
  let snapshot: unknown;
  let firstSegment = segments[0] ?? 1;
  let hadSnapshot = false;
  if (snapshots.length) {
    const covers = snapshots[snapshots.length - 1]!;
    const body = readSnapshotFile(path.join(dir, snapshotName(covers)));
    snapshot = body.state;
    firstSegment = covers;
    hadSnapshot = true;
  }
  const live = segments.filter((s) => s >= firstSegment);
  const payloads: Buffer[] = [];
  let droppedTailBytes = 0;
  let droppedTailRecords = 0;
  let lastSegment = live.length ? live[live.length - 1]! : firstSegment;
  let lastSegmentBytes = 0;

  for (let i = 0; i < live.length; i++) {
    const index = live[i]!;
    const file = segmentPath(dir, index);
    const buf = readFileSync(file);
    const isLast = i === live.length - 1;
    let offset = 0;
    for (;;) {
      const r = readRecord(buf, offset);
      if (r.kind === 'end') break;
      if (r.kind === 'record') {
        payloads.push(r.payload);
        offset = r.next;
        continue;
      }
      const detail = r.kind === 'truncated' ? 'record cut short' : r.reason;
      const damageInMiddle = !isLast || validRecordAfter(buf, offset);
      if (damageInMiddle && !repair) throw new StoreCorruptError(file, offset, detail);
      if (damageInMiddle) {
        const aside = `${file}.corrupt-${Date.now()}`;
        writeFileSync(aside, buf.subarray(offset), { mode: 0o600 });
        truncateFile(file, offset);
        for (const later of live.slice(i + 1))
          renameSync(segmentPath(dir, later), `${segmentPath(dir, later)}.corrupt-${Date.now()}`);
        log?.warn(
          { file, offset, movedTo: aside, laterSegments: live.length - i - 1 },
          'repair: kept the valid prefix of the log and moved the rest aside',
        );
        fsyncDir(dir);
        lastSegment = index;
        lastSegmentBytes = offset;
        return finish();
      }
      // Torn tail: count what we drop (roughly: records that started in the torn bytes).
      droppedTailBytes = buf.length - offset;
      droppedTailRecords = 1;
      truncateFile(file, offset);
      log?.warn(
        { file, offset, droppedBytes: droppedTailBytes },
        'truncated a torn record at the end of the log',
      );
      break;
    }
    if (isLast) lastSegmentBytes = offset;
  }
  return finish();

  function finish(): ReadLog {
    return {
      snapshot,
      payloads,
      records: decode(payloads),
      lastSegment,
      lastSegmentBytes,
      segments: live.length,
      droppedTailBytes,
      droppedTailRecords,
      hadSnapshot,
    };
  }
}

function* decode(payloads: Buffer[]): Iterable<object> {
  for (const p of payloads) yield unpackr.unpack(p) as object;
}

function truncateFile(file: string, size: number): void {
  if (!existsSync(file)) return;
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, size);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
