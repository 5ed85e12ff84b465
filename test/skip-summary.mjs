// Runs a test command (npm test: `node test/skip-summary.mjs tap`) with SWITCHBOARD_TEST_SKIPS set
// to a fresh temp dir, then lists every suite that skipped for a missing tool
// (test/helpers/requires.ts writes the lines), removes the dir and exits as the command did.
// The list prints whether the command passed or failed: the skips are news either way.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  process.stderr.write('usage: node test/skip-summary.mjs COMMAND [ARGS...]\n');
  process.exit(2);
}

const dir = mkdtempSync(path.join(tmpdir(), 'sb-test-skips-'));
const child = spawn(cmd, args, {
  stdio: 'inherit',
  env: { ...process.env, SWITCHBOARD_TEST_SKIPS: dir },
});

// Ctrl-C reaches the child through the terminal; stay alive to print what it skipped.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));

function summary() {
  let lines = [];
  try {
    lines = readFileSync(path.join(dir, 'skips.txt'), 'utf8').split('\n').filter(Boolean);
  } catch {
    // nothing skipped: requires.ts writes the file on the first skip
  }
  rmSync(dir, { recursive: true, force: true });
  if (lines.length === 0) return;
  lines = [...new Set(lines)].sort();
  const suites = new Set(lines.map((l) => l.replace(/^SKIP (\S+).*$/, '$1')));
  const n = suites.size;
  process.stdout.write(
    `\n${n} suite${n === 1 ? '' : 's'} skipped for tools this machine lacks` +
      ` (CI=true makes these failures):\n${lines.map((l) => `  ${l}\n`).join('')}`,
  );
}

child.on('error', (err) => {
  process.stderr.write(`skip-summary: cannot run ${cmd}: ${err.message}\n`);
  summary();
  process.exit(127);
});
child.on('exit', (code, signal) => {
  summary();
  if (signal) {
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
