import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { hubProcess } from '../helpers/hub-process.js';
import { restCall } from '../helpers/rest-call.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Summaries through the WAL's compaction: the background thread replays the log into a
 * snapshot (each summary's hashes as bytes of ids, the strings once), the covered segments
 * go, and a hub killed after that recovers from the snapshot and the tail: the same merge.
 */
t.test('a compacted WAL: snapshot + tail recover every summary', async (t) => {
  const dir = tempDir(t, 'sb-federation-snap-');
  const config = path.join(dir, 'switchboard.yaml');
  writeFileSync(
    config,
    [
      'store:',
      '  segmentBytes: 1048576',
      '  compactAfterBytes: 1048576',
      'federation:',
      '  pushRate: { perMinute: 0 }',
    ].join('\n'),
  );
  const data = path.join(dir, 'data');
  const h = await hubProcess(t, {
    preset: 'development',
    dataDir: data,
    args: ['--store', 'wal', '--config', config],
  });
  let hub = await h.start();
  const base = `${h.httpUrl}/federation`;
  // 12 agents of 5,000 hashes (~340 KB a push): past 1 MiB several times over. Version 0
  // is SHA-256-like hex (journaled as bytes), later versions other strings (journaled as such).
  const hashes = (a: number, v: number) =>
    Array.from({ length: 5000 }, (_, i) => {
      const hex = ((a * 3 + i) % 9000).toString(16).padStart(64, '0');
      return v === 0 ? hex : `${hex}-${v}`;
    });
  const push = (a: number, v: number) =>
    restCall(`${base}/push`, 'POST', {
      body: {
        summary: {
          agent_id: `agent-${a}`,
          timestamp: new Date(Date.UTC(2026, 1, 1, 12, 0, a + v)).toISOString(),
          topic_counts: { semantic: 5000, [`topic-${a % 3}`]: v },
          fact_hashes: hashes(a, a % 2 === 0 ? 0 : v),
          metadata: { v },
        },
      },
    });
  for (let a = 0; a < 12; a++) t.equal((await push(a, 0)).status, 200);
  // Wait for the compactor's snapshot to land.
  const deadline = Date.now() + 20_000;
  while (!readdirSync(data).some((f) => /^snapshot-\d+\.snap$/.test(f)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  t.ok(
    readdirSync(data).some((f) => /^snapshot-\d+\.snap$/.test(f)),
    `a snapshot was written (${readdirSync(data).join(', ')})`,
  );
  // A tail after the snapshot: re-pushes that replace, and one agent forgotten.
  for (let a = 0; a < 4; a++) t.equal((await push(a, 1)).status, 200);
  t.equal(
    (await restCall(`${h.httpUrl}/api/v1/federations/default/agents/agent-11`, 'DELETE')).status,
    200,
  );
  const before = (await restCall(`${base}/pull`)).json;
  t.equal(before.contributing_agents, 11);

  hub.proc.kill('SIGKILL');
  await hub.exited;
  hub = await h.start();
  const after = (await restCall(`${base}/pull`)).json;
  t.strictSame(after, before, 'the same merge, from snapshot and tail');
  // And the restored state keeps working.
  t.equal((await push(5, 2)).status, 200);
  t.equal((await restCall(`${base}/pull`)).json.contributing_agents, 11);
  hub.proc.kill('SIGTERM');
  await hub.exited;
});
