/**
 * Small real filesystems for disk tests: a tmpfs the test mounts (a full disk at 2 MiB, a
 * read-only one). Mounting needs root (or CAP_SYS_ADMIN); where the machine does not allow
 * it, the suite says so in one loud line and is skipped, and under CI (CI=true) that is a
 * failure, so CI still proves everything.
 * The skip goes through requires.ts, so it appears in `npm test`'s skip summary.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireTool } from './requires.js';

let probed: { reason: string | undefined } | undefined;

/** Why this machine cannot mount a tmpfs for a test, or undefined when it can. */
export function tmpfsUnavailable(): string | undefined {
  if (probed) return probed.reason;
  let reason: string | undefined;
  if (process.platform !== 'linux')
    reason = `tmpfs mounts are Linux-only (this is ${process.platform})`;
  else if (process.getuid?.() !== 0)
    reason = `mount needs root, and this runs as uid ${process.getuid?.()}`;
  else {
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-probe-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'none', dir], { stdio: 'pipe' });
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
      reason = `mount -t tmpfs failed: ${stderr || (err as Error).message}`;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  probed = { reason };
  return reason;
}

/**
 * Call at the top of a suite: true when tmpfs mounts work. Otherwise prints the loud line and
 * skips the suite (or fails it under CI=true).
 */
export function requireTmpfs(_suite?: string): boolean {
  const reason = tmpfsUnavailable();
  return requireTool({
    name: `a tmpfs mount${reason === undefined ? '' : ` (${reason})`}`,
    probe: () => reason === undefined,
    how: 'fix with',
    install: 'run the tests as root where mount is allowed',
  });
}

/** Mount a tmpfs of `size` (e.g. '2m') on a fresh dir; unmounted and removed at teardown. */
export function mountTmpfs(
  test: { teardown(fn: () => void): void },
  size: string,
  mode = '0755',
): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=${mode}`, 'none', dir]);
  test.teardown(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return dir;
}

export function remount(dir: string, flag: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${flag}`, dir]);
}
