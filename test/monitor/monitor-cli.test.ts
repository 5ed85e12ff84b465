/**
 * `switchboard monitor`, the CLI's way in (test/monitor/monitor.test.ts drives the standalone
 * entry, dist/client/monitor/main.js): the same snapshot from the installed command.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { OPEN_GRANT } from '../../server/auth/index.js';
import { CLI } from '../helpers/hub-process.js';
import { startTestHub } from '../helpers/hub.js';

const run = promisify(execFile);

t.test('switchboard monitor --json and --once show the hub it is pointed at', async (t) => {
  const th = await startTestHub();
  t.teardown(th.stop);
  await th.hub.gateway.submit({ grant: OPEN_GRANT }, [{ queue: 'cli-q' }, { queue: 'cli-q' }]);

  const json = JSON.parse(
    (await run(process.execPath, [CLI, 'monitor', '--url', th.httpUrl, '--json'])).stdout,
  ) as { queues: { name: string; queued: number }[] };
  t.equal(json.queues.find((q) => q.name === 'cli-q')?.queued, 2, 'the two queued tasks');

  const once = await run(process.execPath, [CLI, 'monitor', '--url', th.httpUrl, '--once']);
  t.match(once.stdout, /^switchboard test @ /);
  t.match(once.stdout, /cli-q\s+active\s+0\s+0\s+2\s/, 'two queued at normal priority');
});
