import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './net.js';

export const SSHD = '/usr/sbin/sshd';

export function sshdAvailable(): boolean {
  return existsSync(SSHD);
}

/** A real OpenSSH server on a loopback port, with its own host key and authorized_keys. */
export class TestSshd {
  readonly user = userInfo().username;
  private pidFile: string;
  readonly authorizedKeys: string;
  readonly hostKey: string;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.pidFile = path.join(dir, 'sshd.pid');
    this.authorizedKeys = path.join(dir, 'authorized_keys');
    this.hostKey = path.join(dir, 'hostkey');
  }

  static async start(): Promise<TestSshd> {
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-sshd-'));
    const sshd = new TestSshd(dir, await freePort());
    mkdirSync('/run/sshd', { recursive: true });
    sshd.rotateHostKey();
    writeFileSync(sshd.authorizedKeys, '', { mode: 0o600 });
    writeFileSync(
      path.join(dir, 'sshd_config'),
      [
        `Port ${sshd.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${sshd.hostKey}`,
        `PidFile ${sshd.pidFile}`,
        `AuthorizedKeysFile ${sshd.authorizedKeys}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        'StrictModes no',
        'MaxSessions 10',
        'Subsystem sftp internal-sftp',
        // Debian's bash sources ~/.bashrc for every command sshd runs while SHLVL says it is the
        // top-level shell; a developer's or CI runner's rc (pyenv, nvm) then costs 0.5-5 s per
        // command and makes every timing in these tests about the rc file, not about the hub.
        'SetEnv SHLVL=1',
        '',
      ].join('\n'),
    );
    await sshd.up();
    return sshd;
  }

  rotateHostKey(): void {
    rmSync(this.hostKey, { force: true });
    rmSync(`${this.hostKey}.pub`, { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', this.hostKey]);
  }

  async up(): Promise<void> {
    const cfg = path.join(this.dir, 'sshd_config');
    execFileSync(SSHD, ['-t', '-f', cfg]);
    const child = spawn(SSHD, ['-f', cfg, '-E', path.join(this.dir, 'sshd.log')], {
      stdio: 'ignore',
    });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`sshd exited ${code}`)),
      );
    });
    for (let i = 0; i < 100; i++) {
      if (await this.listening()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`sshd did not listen on ${this.port}`);
  }

  /** Stop the daemon and every session it forked, as a crash of the node's sshd would. */
  async down(): Promise<void> {
    if (!existsSync(this.pidFile)) return;
    const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    for (const p of [pid, ...descendants(pid)]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(this.pidFile, { force: true });
    for (let i = 0; i < 100 && (await this.listening()); i++)
      await new Promise((r) => setTimeout(r, 20));
  }

  private listening(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port: this.port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  }

  authorize(publicKey: string): void {
    writeFileSync(this.authorizedKeys, `${publicKey.trim()}\n`, { flag: 'a', mode: 0o600 });
  }

  async stop(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** All descendants of a process, from /proc (no pkill or fuser needed). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}
