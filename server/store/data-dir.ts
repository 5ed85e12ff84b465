import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { StoreError, StoreErrorCode } from './errors.js';

/** Create the data dir owner-only (tasks and the secret live here). */
export function ensureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** fsync a directory so a rename or create inside it survives power loss. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed hub whose parent has not reaped it yet is a zombie: kill(0) succeeds, but it
  // holds nothing.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * One hub per data dir. Node has no flock/fcntl without native code, so the lock is a file
 * created with O_EXCL holding the owner's pid; a lock whose pid is dead is stale (left by a
 * crash) and taken over. Returns a release function.
 */
export function lockDataDir(dir: string): () => void {
  const file = path.join(dir, 'LOCK');
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = NaN;
      try {
        pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
      } catch {
        // vanished between create and read: retry
      }
      if (Number.isInteger(pid) && alive(pid)) {
        throw new StoreError(
          StoreErrorCode.STORE_LOCKED,
          `data dir ${dir} is in use by another hub (pid ${pid}); stop it, or give this hub its own --data-dir`,
        );
      }
      try {
        unlinkSync(file); // stale lock from a hub that died
      } catch {
        // someone else took it over first; loop and see
      }
    }
  }
  throw new StoreError(StoreErrorCode.STORE_LOCKED, `could not lock data dir ${dir}`);
}

/** The pid of the live hub holding `dir`'s lock, if any (the CLI asks before writing offline). */
export function lockHolder(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path.join(dir, 'LOCK'), 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}
