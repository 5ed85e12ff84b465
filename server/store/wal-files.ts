import { fdatasync, ftruncate, readdirSync, write } from 'node:fs';
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

/**
 * The calls the WAL makes on its open segment, in node:fs's callback shapes. They are the
 * seam through which tests inject a disk that fails (an fsync returning EIO) without
 * mocking anything else: every other byte still goes to a real file.
 */
export interface WalFileOps {
  write(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    cb: (err: NodeJS.ErrnoException | null, written: number) => void,
  ): void;
  fdatasync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
  ftruncate(fd: number, len: number, cb: (err: NodeJS.ErrnoException | null) => void): void;
}

export const nodeWalFileOps: WalFileOps = {
  write: (fd, buffer, offset, length, position, cb) =>
    write(fd, buffer, offset, length, position, cb),
  fdatasync: (fd, cb) => fdatasync(fd, cb),
  ftruncate: (fd, len, cb) => ftruncate(fd, len, cb),
};

/**
 * Write errors after which the log is still sound and writing may work again by itself:
 * the filesystem (or the user's quota) is full. The partial batch is cut off and the next
 * batch tries again. Any other write error (EIO, EROFS after an ext4 error remount, EBADF)
 * says the device or file is in a state we cannot reason about, and is fatal like a failed
 * fsync.
 */
export function isNoSpace(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ENOSPC' || err.code === 'EDQUOT';
}
