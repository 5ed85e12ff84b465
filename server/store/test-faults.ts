import { nodeWalFileOps, type WalFileOps } from './wal-files.js';

/**
 * TEST ONLY: make the WAL's fdatasync fail with EIO after `okFsyncs` successful ones, the way
 * a dying disk or a lost iSCSI path reports it. Everything else goes to the real file, so the
 * bytes written before the failure are real and recovery reads them like after a real one.
 */
export function failingFsyncOps(okFsyncs: number, base: WalFileOps = nodeWalFileOps): WalFileOps {
  let left = okFsyncs;
  return {
    ...base,
    fdatasync(fd, cb) {
      if (left > 0) {
        left--;
        base.fdatasync(fd, cb);
        return;
      }
      const err: NodeJS.ErrnoException = new Error('EIO: i/o error, fdatasync');
      err.code = 'EIO';
      err.errno = -5;
      err.syscall = 'fdatasync';
      setImmediate(() => cb(err));
    },
  };
}

/** The hidden, test-only setting (docs/operations.md, "Disks"); not in the config schema. */
export const FAIL_FSYNC_ENV = 'SWITCHBOARD_TEST_FAIL_FSYNC_AFTER';

/**
 * TEST ONLY: the process-level form of the seam, for tests that run a real hub process.
 * Returns undefined (the real file layer) unless the variable holds a whole number.
 */
export function walFileOpsFromEnv(env: NodeJS.ProcessEnv): WalFileOps | undefined {
  const raw = env[FAIL_FSYNC_ENV];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return failingFsyncOps(Number(raw));
}
