/**
 * The hub starts with the same V8 flags however it is started: `npm start`, the systemd unit
 * and the Docker image each name HUB_NODE_FLAGS (server/runtime/node-flags.ts says why), and
 * Node accepts them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { HUB_NODE_FLAGS } from '../../server/runtime/node-flags.js';

const read = (p: string): string => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
/** The arguments between `node` and the hub's script in a command line. */
const flagsBefore = (words: string[]): string[] => {
  const node = words.findIndex((w) => /(^|\/)node$/.test(w));
  const script = words.findIndex((w) => w.endsWith('dist/server/cli/main.js'));
  return node >= 0 && script > node ? words.slice(node + 1, script) : ['(no node … main.js)'];
};

t.test('npm start, the systemd unit and the Dockerfile pass the same flags', async (t) => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  t.same(flagsBefore(pkg.scripts.start!.split(/\s+/)), HUB_NODE_FLAGS, 'npm start');
  const unit = read('deployment/switchboard.service')
    .split('\n')
    .find((l) => l.startsWith('ExecStart='))!;
  t.same(flagsBefore(unit.slice('ExecStart='.length).split(/\s+/)), HUB_NODE_FLAGS, 'systemd');
  const entry = read('deployment/Dockerfile')
    .split('\n')
    .find((l) => l.startsWith('ENTRYPOINT '))!;
  t.same(
    flagsBefore(JSON.parse(entry.slice('ENTRYPOINT '.length)) as string[]),
    HUB_NODE_FLAGS,
    'Dockerfile',
  );
});

t.test('this Node accepts them', async (t) => {
  const r = spawnSync(process.execPath, [...HUB_NODE_FLAGS, '-e', '0'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
});
