import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { StoreError, StoreErrorCode } from './errors.js';

/**
 * Create the data dir owner-only (tasks and the secret live here), and make sure this
 * process can own and write it, so a bad dir is one clear start error instead of a stack
 * trace from the first write (or, worse, a hub that starts and refuses every submit).
 */
export function ensureDataDir(dir: string): void {
  const uid = process.getuid?.();
  const who = uid === undefined ? 'the user the hub runs as' : `uid ${uid}`;
  const unusable = (what: string, fix: string, cause?: unknown): StoreError =>
    new StoreError(
      StoreErrorCode.STORE_DIR_UNUSABLE,
      `data dir ${dir} ${what}: ${fix}, or point --data-dir at a directory of its own`,
      { cause },
    );
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EROFS')
      throw unusable('is on a read-only filesystem', 'remount it read-write', e);
    if (e.code === 'EACCES' || e.code === 'EPERM')
      throw unusable(
        `cannot be created by ${who} (${e.code})`,
        'create it and chown it to that user',
        e,
      );
    if (e.code === 'EEXIST' || e.code === 'ENOTDIR')
      throw unusable('is not a directory', 'remove or rename what is there', e);
    throw unusable(`cannot be created (${e.message})`, 'check the path', e);
  }
  const st = statSync(dir);
  if (!st.isDirectory()) throw unusable('is not a directory', 'remove or rename what is there');
  // Root could write a foreign dir anyway; it must not, or files it creates there (the
  // secret, new segments) are root's and the dir's owner can no longer run the hub.
  if (uid !== undefined && st.uid !== uid) {
    throw unusable(
      `belongs to uid ${st.uid}, but the hub runs as ${who}`,
      `run the hub as uid ${st.uid}, or hand the dir over with: chown -R ${uid} ${dir}`,
    );
  }
  // An empty probe file: it needs no data blocks, so a full disk passes (the store handles
  // that at run time and recovers by itself), while read-only or unwritable dirs do not.
  const probe = path.join(dir, `.write-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'w', 0o600));
    unlinkSync(probe);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC' || e.code === 'EDQUOT') return;
    if (e.code === 'EROFS')
      throw unusable('is on a read-only filesystem', 'remount it read-write', e);
    if (e.code === 'EACCES' || e.code === 'EPERM') {
      throw unusable(
        `is not writable by ${who} (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`,
        `give its owner write access: chmod 700 ${dir}`,
        e,
      );
    }
    throw unusable(`cannot be written (${e.message})`, 'check the disk and the mount', e);
  }
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
      try {
        writeSync(fd, `${process.pid}\n`);
      } catch (err) {
        closeSync(fd);
        unlinkSync(file);
        const e = err as NodeJS.ErrnoException;
        if (e.code !== 'ENOSPC' && e.code !== 'EDQUOT') throw err;
        throw new StoreError(
          StoreErrorCode.STORE_NO_SPACE,
          `data dir ${dir}: the disk is so full that not even the lock file fits; free space on that filesystem and start again`,
          { cause: err },
        );
      }
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
