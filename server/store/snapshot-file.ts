import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import { fsyncDir } from './data-dir.js';

/**
 * Snapshot file: "SBSNAP01" (8 bytes), u32 CRC-32 of the body, u32 reserved, body =
 * msgpack { coversSegment, createdAt, state }. `coversSegment` is the first WAL segment NOT
 * included: recovery replays segments >= it.
 */
const MAGIC = Buffer.from('SBSNAP01');
const packr = new Packr({ useRecords: false, moreTypes: false });

export interface SnapshotBody {
  coversSegment: number;
  createdAt: number;
  state: unknown;
}

export function snapshotName(coversSegment: number): string {
  return `snapshot-${String(coversSegment).padStart(16, '0')}.snap`;
}

/** Atomic: write a temp file, fsync it, rename over, fsync the directory. */
export function writeSnapshotFile(dir: string, body: SnapshotBody): string {
  const payload = packr.pack(body);
  const header = Buffer.alloc(16);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(crc32(payload), 8);
  const final = path.join(dir, snapshotName(body.coversSegment));
  const tmp = `${final}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, header);
    writeSync(fd, payload);
    fsyncSync(fd);
  } catch (err) {
    // A half-written temp file would hold the space a full disk needs back.
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, final);
  fsyncDir(dir);
  return final;
}

export function readSnapshotFile(file: string): SnapshotBody {
  if (!existsSync(file)) throw new Error(`${file} does not exist`);
  const buf = readFileSync(file);
  if (buf.length < 16 || !buf.subarray(0, 8).equals(MAGIC))
    throw new Error(`${file} is not a Switchboard snapshot`);
  const payload = buf.subarray(16);
  if (crc32(payload) !== buf.readUInt32LE(8)) throw new Error(`${file} fails its checksum`);
  return packr.unpack(payload) as SnapshotBody;
}
