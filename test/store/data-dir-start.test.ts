/**
 * A data dir the hub cannot use gives one clear line at start (the dir, what is wrong, what
 * to do) and exit code DATA_DIR, never a stack trace. Root bypasses permission bits, so
 * "read-only" is a read-only filesystem (a tmpfs remounted ro), "foreign" is the ownership
 * check, and "chmod 0500" runs the hub as an unprivileged user.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { mintToken } from '../../server/auth/index.js';
import { ExitCode } from '../../server/support/exit-codes.js';
import { hubProcess, runHubStart } from '../helpers/hub-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { mountTmpfs, remount, requireTmpfs } from '../helpers/tmpfs.js';

const NOBODY = 65534;

function assertOneClearLine(
  t: Test,
  r: { status: number | null; stderr: string; stdout: string },
  dir: string,
  what: RegExp,
  fix: RegExp,
  code = 'STORE_DIR_UNUSABLE',
): void {
  t.equal(r.status, ExitCode.DATA_DIR, `exit code ${ExitCode.DATA_DIR} (ExitCode.DATA_DIR)`);
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 1, `one line on stderr: ${r.stderr.trim()}`);
  t.ok(lines[0]!.startsWith(`switchboard: cannot start: ${code}: `), `code ${code}`);
  t.ok(lines[0]!.includes(dir), 'names the dir');
  t.match(lines[0], what, 'says what is wrong');
  t.match(lines[0], fix, 'says what to do');
  t.notMatch(r.stderr + r.stdout, /\n\s+at /, 'no stack trace');
}

if (requireTmpfs('test/store/data-dir-start.test.ts')) {
  t.test(
    'a read-only data dir (a tmpfs remounted ro, holding a hub state) is refused at start; read-write again, everything is there',
    { timeout: 60_000 },
    async (t) => {
      const mnt = mountTmpfs(t, '4m');
      const dataDir = path.join(mnt, 'data');
      const h = await hubProcess(t, { preset: 'production', dataDir });
      // First run as a new user would: the hub creates the dir and its secret.
      let hub = await h.start();
      const secret = readFileSync(path.join(dataDir, 'secret'), 'utf8').trim();
      const headers = {
        authorization: `Bearer ${await mintToken(secret, { role: 'admin' })}`,
        'content-type': 'application/json',
      };
      const api = `${h.httpUrl}/api/v1`;
      const res = await fetch(`${api}/tasks`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ queue: 'ro', payload: { keep: true } }),
      });
      t.equal(res.status, 201);
      const { id } = (await res.json()) as { id: string };
      hub.proc.kill('SIGTERM');
      t.equal(await hub.exited, 0);

      remount(mnt, 'ro');
      const r = runHubStart(h.args);
      assertOneClearLine(t, r, dataDir, /read-only filesystem/, /remount it read-write/);

      remount(mnt, 'rw');
      hub = await h.start();
      const got = await fetch(`${api}/tasks/${id}`, { headers });
      t.equal(got.status, 200, 'the task acknowledged before is there');
      hub.proc.kill('SIGTERM');
      t.equal(await hub.exited, 0);
    },
  );

  t.test('a data dir owned by another user is refused, even for root', async (t) => {
    const dir = tempDir(t, 'sb-foreign-');
    chownSync(dir, NOBODY, NOBODY);
    const h = await hubProcess(t, { preset: 'production', dataDir: dir });
    const r = runHubStart(h.args);
    assertOneClearLine(
      t,
      r,
      dir,
      new RegExp(`belongs to uid ${NOBODY}, but the hub runs as uid 0`),
      new RegExp(`chown -R 0 ${dir}`),
    );
    t.same(
      spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout,
      '',
      'nothing was written into it (no secret, no lock, no log)',
    );

    chownSync(dir, 0, 0);
    const hub = await h.start();
    hub.proc.kill('SIGTERM');
    t.equal(await hub.exited, 0, 'after the chown the hub starts');
  });

  t.test(
    'a data dir its owner cannot write (chmod 0500), for a hub not running as root',
    async (t) => {
      const parent = tempDir(t, 'sb-0500-');
      chmodSync(parent, 0o755); // nobody must be able to reach the dir
      const dir = path.join(parent, 'data');
      mkdirSync(dir);
      chownSync(dir, NOBODY, NOBODY);
      chmodSync(dir, 0o500);
      const nobody = { uid: NOBODY, gid: NOBODY };
      const h = await hubProcess(t, { preset: 'production', dataDir: dir, as: nobody });
      const r = runHubStart(h.args, { as: nobody });
      assertOneClearLine(
        t,
        r,
        dir,
        new RegExp(`not writable by uid ${NOBODY} \\(mode 0500\\)`),
        new RegExp(`chmod 700 ${dir}`),
      );

      chmodSync(dir, 0o700);
      const hub = await h.start();
      hub.proc.kill('SIGTERM');
      t.equal(await hub.exited, 0, 'after the chmod the hub starts as that user');
    },
  );

  t.test(
    'a disk with no room even for the lock file is refused at start, and starts once space is freed',
    async (t) => {
      const mnt = mountTmpfs(t, '256k');
      const dataDir = path.join(mnt, 'data');
      mkdirSync(dataDir, { mode: 0o700 });
      const filler = path.join(mnt, 'filler');
      try {
        writeFileSync(filler, Buffer.alloc(512 * 1024));
      } catch {
        // ENOSPC: it took what there was
      }
      const env = { SWITCHBOARD_AUTH_SECRET: 'no-room-test-secret-no-room-test-secret' };
      const h = await hubProcess(t, { preset: 'production', dataDir, env });
      const r = runHubStart(h.args, { env });
      assertOneClearLine(
        t,
        r,
        dataDir,
        /so full that not even the lock file fits/,
        /free space/,
        'STORE_NO_SPACE',
      );
      rmSync(filler);
      const hub = await h.start();
      hub.proc.kill('SIGTERM');
      t.equal(await hub.exited, 0, 'with space freed the hub starts');
    },
  );
}
