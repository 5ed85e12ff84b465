/**
 * What a test needs from the machine, beyond Node: system tools (sshd, promtool, tmux, ...) and
 * local services (Redis on 6379, NATS on 4222).
 *
 * A whole suite that needs a tool says so at its top, and puts its tests behind the answer
 * (ESM has no top-level `return`):
 *
 *     import { requireTool } from '../helpers/requires.js';
 *     if (requireTool('sshd')) {
 *       t.test('...', async (t) => { ... });
 *     }
 *
 * One test in a suite whose other tests need nothing passes tap options instead:
 *
 *     t.test('the monitor under a real terminal', skipWithout('tmux'), async (t) => { ... });
 *
 * Several tools: `requireTool('redis-server', 'openssl')` names every missing one in one line.
 * Something not in TOOLS: `requireTool({ name: 'ffmpeg', probe: () => ..., install: 'apt-get install -y ffmpeg' })`.
 * `hasTool('tmux')` only answers, for code outside tests (e.g. starting a keeper session).
 *
 * When something is missing the suite prints one loud line on stderr, e.g.
 *   SKIP test/nodes/ssh.test.ts: needs sshd — install with: apt-get install -y openssh-server
 * and is skipped through tap's plan (`1..0 # reason`) or the test's `skip` option. `npm test` sets
 * SWITCHBOARD_TEST_SKIPS to a temp dir; each skip appends its line there and test/skip-summary.mjs
 * lists them all after tap. Under CI (CI=true, as .ci/run runs) a missing tool is a failure of the
 * suite with the same line, so CI still proves everything.
 *
 * Add a tool to TOOLS (and its package to .ci/run) rather than probing in a test file.
 */
import { accessSync, appendFileSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { SSHD } from '../../bench/lib/sshd.js';

export interface ToolSpec {
  /** What the loud line says is needed: a binary name, or a service such as "Redis on 127.0.0.1:6379". */
  name: string;
  /** True when the machine has it. Synchronous, fast, no side effects. */
  probe: () => boolean;
  /** The command that gets it on Debian. */
  install: string;
  /** What the loud line says before `install`; "install with" unless it is not a package. */
  how?: string;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** An absolute path, or a name on PATH or in the sbin directories a user's PATH leaves out. */
function executable(bin: string): boolean {
  if (path.isAbsolute(bin)) return isExecutable(bin);
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => dir !== '' && isExecutable(path.join(dir, bin)));
}

/**
 * Whether something accepts TCP connections on 127.0.0.1:port. A child process keeps the probe
 * synchronous (suites decide at load time); refused answers at once, a black hole times out.
 */
function listening(port: number): boolean {
  const script = `const s = require('node:net').connect(${port}, '127.0.0.1');
    s.on('connect', () => process.exit(0)); s.on('error', () => process.exit(1));
    setTimeout(() => process.exit(1), 1500);`;
  return (
    spawnSync(process.execPath, ['-e', script], { stdio: 'ignore', timeout: 3000 }).status === 0
  );
}

const apt = (pkg: string) => `apt-get install -y ${pkg}`;

/** Where `.ci/fetch-node MAJOR` puts a Node release for the SDK's runtime tests. */
export function nodeBinary(major: number): string {
  const dir =
    process.env.SWITCHBOARD_NODES_DIR ??
    path.join(process.env.HOME ?? '/root', '.cache', 'switchboard', 'nodes');
  return path.join(dir, String(major), 'bin', 'node');
}

const node = (major: number): ToolSpec => ({
  name: `node ${major}`,
  probe: () => isExecutable(nodeBinary(major)),
  install: `.ci/fetch-node ${major}`,
  how: 'fetch it (from the npm registry) with',
});
const binary = (bin: string, pkg: string): ToolSpec => ({
  name: bin,
  probe: () => executable(bin),
  install: apt(pkg),
});

export const TOOLS = {
  // TestSshd runs the daemon by absolute path and makes host keys with ssh-keygen.
  sshd: {
    name: 'sshd',
    probe: () => executable(SSHD) && executable('ssh-keygen'),
    install: apt('openssh-server'),
  },
  promtool: binary('promtool', 'prometheus'),
  tmux: binary('tmux', 'tmux'),
  openssl: binary('openssl', 'openssl'),
  slowhttptest: binary('slowhttptest', 'slowhttptest'),
  chromium: binary('chromium', 'chromium'),
  /** Other Node releases the SDK must run on (docs/client.md, "Runtimes"). */
  node22: node(22),
  node24: node(24),
  /** A private redis-server the test starts on its own port and dir. */
  'redis-server': binary('redis-server', 'redis-server'),
  /** The shared instance; never flush it. */
  redis: {
    name: 'Redis on 127.0.0.1:6379',
    probe: () => listening(6379),
    install: `${apt('redis-server')} (Debian starts it on 6379)`,
  },
  'nats-server': binary('nats-server', 'nats-server'),
  nats: {
    name: 'NATS on 127.0.0.1:4222',
    probe: () => listening(4222),
    install: `${apt('nats-server')} && nats-server -js -a 127.0.0.1 -p 4222 &`,
  },
  /** Not a tool, but the same story: mounting a small tmpfs (a real full disk) needs it. */
  root: {
    name: 'root',
    probe: () => process.getuid?.() === 0,
    how: 'run the tests as root, as .ci/run does',
    install: 'sudo npm test',
  },
} satisfies Record<string, ToolSpec>;

export type KnownTool = keyof typeof TOOLS;
export type Need = KnownTool | ToolSpec;

const spec = (need: Need): ToolSpec => (typeof need === 'string' ? TOOLS[need] : need);

/** Any non-empty CI other than "false"/"0" means CI, as most CI systems set it. */
export function underCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/** The needs this machine lacks (no output, no skip). */
export function missingTools(...needs: Need[]): ToolSpec[] {
  return needs.map(spec).filter((s) => !s.probe());
}

export function hasTool(...needs: Need[]): boolean {
  return missingTools(...needs).length === 0;
}

function suiteName(): string {
  const file = process.argv[1];
  return file ? path.relative(process.cwd(), file) : '(unknown suite)';
}

function reason(missing: ToolSpec[]): string {
  return missing
    .map((s) => `needs ${s.name} — ${s.how ?? 'install with'}: ${s.install}`)
    .join('; ');
}

const reported = new Set<string>();

/** Print the loud line; record it for the summary, or fail the suite under CI. Once per suite. */
function report(where: string, missing: ToolSpec[]): void {
  const why = reason(missing);
  if (reported.has(`${where}\0${why}`)) return;
  reported.add(`${where}\0${why}`);
  if (underCi()) {
    console.error(`FAIL ${where}: ${why} (CI=true: a missing tool is a failure)`);
    t.fail(`${why} (CI=true: a missing tool is a failure)`);
    return;
  }
  const line = `SKIP ${where}: ${why}`;
  console.error(line);
  const dir = process.env.SWITCHBOARD_TEST_SKIPS;
  // Short O_APPEND writes do not interleave, so parallel suites can share the file.
  if (dir) appendFileSync(path.join(dir, 'skips.txt'), `${line}\n`);
}

/**
 * For a whole suite, at its top: true when everything is there. Otherwise the suite is skipped
 * (tap plan 0), or failed under CI, and the caller must register no tests.
 */
export function requireTool(...needs: Need[]): boolean {
  const missing = missingTools(...needs);
  if (missing.length === 0) return true;
  report(suiteName(), missing);
  if (!underCi()) t.plan(0, reason(missing));
  return false;
}

/** tap options for one test that needs a tool: `t.test(name, skipWithout('tmux'), fn)`. */
export function skipWithout(...needs: Need[]): { skip?: string } {
  const missing = missingTools(...needs);
  if (missing.length === 0) return {};
  report(`${suiteName()} (the tests that need it)`, missing);
  // Under CI the suite has already failed; skipping the body keeps the failure to one clear line.
  return { skip: reason(missing) };
}
