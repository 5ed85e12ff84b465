import t from 'tap';
import pino from 'pino';
import { Hub } from '../../server/hub/hub.js';
import { testHttpServer, testHubOptions } from '../helpers/hub.js';

// docs/operations.md promises that GET /ready answers 503 "recovering" while the log
// replays; a replay that never yields to the event loop could not answer at all.
t.test('GET /ready says "recovering" during a long replay, then "ready"', async (t) => {
  // Not startTestHub's choices: the core's own defaults, auto transport, and silent
  // whatever SWITCHBOARD_TEST_LOG says.
  const hub = new Hub(
    testHubOptions({ transport: 'auto', core: {}, logger: pino({ level: 'silent' }) }),
  );
  const http = testHttpServer(hub);
  await http.listen();
  t.teardown(async () => {
    await hub.stop(0);
    await http.close();
  });
  // A journal of 300,000 submits, as a WAL would hand them over.
  const now = Date.now();
  const records = (function* () {
    for (let i = 0; i < 300_000; i++)
      yield {
        type: 'task.submit',
        now,
        tasks: [{ id: `t${i}`, spec: { queue: 'q', payload: i } }],
      };
  })();
  const seen = new Set<string>();
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const res = await fetch(`http://127.0.0.1:${http.port}/ready`);
      seen.add(`${res.status} ${((await res.json()) as { status: string }).status}`);
    }
  })();
  await hub.start({ snapshot: undefined, records });
  polling = false;
  await poll;
  t.ok(seen.has('503 recovering'), `polled during the replay: ${[...seen].join(', ')}`);
  const after = await fetch(`http://127.0.0.1:${http.port}/ready`);
  t.equal(after.status, 200);
  t.equal(hub.core.tasks.size, 300_000, 'every record replayed');
});
