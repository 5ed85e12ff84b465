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
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import { fsyncDir } from './data-dir.js';
import { slicedPack } from './sliced-pack.js';

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

/**
 * The same file as writeSnapshotFile, written without a long pause: the body is encoded a
 * piece at a time (sliced-pack.ts), at most `sliceMs` of encoding per event-loop turn, and
 * written as it comes; the checksum goes into the header last. `body` must not change until
 * this resolves. Atomic like writeSnapshotFile: a crash leaves at most a temp file.
 */
export async function writeSnapshotFileInSlices(
  dir: string,
  body: SnapshotBody,
  sliceMs = 4,
): Promise<string> {
  const final = path.join(dir, snapshotName(body.coversSegment));
  const tmp = `${final}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    let position = HEADER_BYTES;
    let crc = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const writePending = async (): Promise<void> => {
      const chunk = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      crc = crc32(chunk, crc);
      await writeAll(fh, chunk, position);
      position += chunk.length;
    };
    let sliceStart = performance.now();
    for (const piece of slicedPack(packr, body)) {
      pending.push(piece);
      pendingBytes += piece.length;
      if (pendingBytes >= WRITE_BYTES) await writePending();
      if (performance.now() - sliceStart >= sliceMs) {
        await nextTurn();
        sliceStart = performance.now();
      }
    }
    if (pendingBytes > 0) await writePending();
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeUInt32LE(crc >>> 0, 8);
    await writeAll(fh, header, 0);
    await fh.sync();
  } catch (err) {
    await fh.close();
    rmSync(tmp, { force: true });
    throw err;
  }
  await fh.close();
  renameSync(tmp, final);
  fsyncDir(dir);
  return final;
}

const HEADER_BYTES = 16;
/** Encoded bytes gathered per write. */
const WRITE_BYTES = 1 << 20;

async function writeAll(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    if (bytesWritten === 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
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
