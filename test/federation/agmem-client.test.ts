import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { CLI, hubProcess, type HubChild } from '../helpers/hub-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { agmem, agmemSummary, hasPython, type AgmemOp } from './agmem-client.js';

const run = promisify(execFile);
const cliEnv = { ...process.env };
delete cliEnv.SWITCHBOARD_TOKEN;
delete cliEnv.SWITCHBOARD_URL;

/**
 * The real client's way of talking (agmem-client.ts: python3's urllib when the machine has
 * it), against a real hub process in the production preset (authentication on, WAL with
 * fsync before every acknowledgement), with keys minted and revoked by the CLI: many agents
 * pushing at once, two federations, a crash and a restart in between, and a revoked key.
 */
async function cli(url: string, dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--url', url, '-d', dir], {
    env: cliEnv,
    timeout: 20_000,
  });
  return stdout;
}

/** Every file under `dir`, read whole. */
function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  const out: { file: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...filesUnder(file));
    else out.push({ file, bytes: readFileSync(file) });
  }
  return out;
}

t.test(
  `agmem's client (${hasPython ? 'python3 urllib' : 'node:http, no python3 here'}) against a durable hub`,
  async (t) => {
    const dir = tempDir(t, 'sb-federation-');
    const h = await hubProcess(t, { preset: 'production', dataDir: dir });
    let hub: HubChild = await h.start();
    const mint = async (federation: string, label: string) =>
      JSON.parse(
        await cli(
          h.httpUrl,
          dir,
          'federation',
          'key',
          'create',
          '-f',
          federation,
          '--label',
          label,
          '--json',
        ),
      ) as { id: string; key: string; url: string; federation: string };
    const teamA = await mint('team-a', 'laptops');
    const teamB = await mint('team-b', 'ci');
    t.equal(teamA.url, `${h.httpUrl}/federation/${teamA.key}`, 'the coordinator_url to give agmem');

    // 40 agents at once, sharing ten facts and holding ten of their own each.
    const shared = Array.from({ length: 10 }, (_, i) => `shared fact ${i}`);
    const summaries = Array.from({ length: 40 }, (_, a) =>
      agmemSummary(`/home/dev/project-${a}/.mem`, {
        episodic: Array.from({ length: 10 }, (_, i) => `agent ${a} fact ${i}`),
        semantic: shared,
      }),
    );
    const pushes = await agmem(
      summaries.map((summary): AgmemOp => ({ op: 'push', base: teamA.url, summary })),
    );
    t.same(
      pushes.map((p) => p.status),
      summaries.map(() => 200),
      'every concurrent push accepted',
    );
    t.same(pushes[7]!.body.status, 'accepted');
    t.equal(pushes[7]!.body.agent_id, summaries[7]!.agent_id);
    t.match(summaries[7]!.agent_id, /^agent-[0-9a-f]{16}$/);

    const [b] = await agmem([
      {
        op: 'push',
        base: teamB.url,
        summary: agmemSummary('/srv/ci/.mem', { semantic: ['ci only'] }),
      },
    ]);
    t.equal(b!.status, 200);

    const expectHashes = [...new Set(summaries.flatMap((s) => s.fact_hashes))].sort();
    const [pulled] = await agmem([{ op: 'pull', base: teamA.url }]);
    t.equal(pulled!.status, 200);
    t.same(pulled!.body.merged_topic_counts, { episodic: 400, semantic: 400 });
    t.same(pulled!.body.unique_fact_hashes, expectHashes, '410 distinct hashes, sorted');
    t.equal(pulled!.body.contributing_agents, 40);
    t.same(pulled!.body.metadata, { total_facts: 410, total_topics: 2 });
    t.match(
      pulled!.body.last_updated,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/,
      "an agent's own timestamp, as Python wrote it",
    );
    const [pulledB] = await agmem([{ op: 'pull', base: teamB.url }]);
    t.equal(pulledB!.body.contributing_agents, 1, 'team-b sees only its own');
    t.equal(pulledB!.body.unique_fact_hashes.length, 1);

    // A crash (SIGKILL: nothing flushed on the way out), then a restart: every acknowledged
    // push is there, as it was.
    hub.proc.kill('SIGKILL');
    await hub.exited;
    hub = await h.start();
    const [afterCrash] = await agmem([{ op: 'pull', base: teamA.url }]);
    t.strictSame(afterCrash!.body, pulled!.body, 'the same merge after a crash and restart');

    // A re-push after the restart replaces that agent's summary.
    const again = {
      ...summaries[0]!,
      topic_counts: { episodic: 0, semantic: 10 },
      fact_hashes: [],
    };
    t.equal((await agmem([{ op: 'push', base: teamA.url, summary: again }]))[0]!.status, 200);
    const [replaced] = await agmem([{ op: 'pull', base: teamA.url }]);
    t.same(replaced!.body.merged_topic_counts, { episodic: 390, semantic: 400 });
    t.equal(replaced!.body.metadata.total_facts, 400, "agent 0's own ten facts are gone");

    // Revoked with the CLI: refused at once, and what it tries changes nothing.
    const revoked = await cli(h.httpUrl, dir, 'federation', 'key', 'revoke', teamA.id);
    t.match(revoked, `revoked ${teamA.id}`);
    const refused = await agmem([
      { op: 'push', base: teamA.url, summary: agmemSummary('/tmp/intruder', { semantic: ['x'] }) },
      { op: 'pull', base: teamA.url },
    ]);
    t.same(
      refused.map((r) => r.status),
      [401, 401],
    );
    t.equal(refused[0]!.body.error.code, 'UNAUTHORIZED');
    const teamA2 = await mint('team-a', 'laptops, rotated');
    const [rotated] = await agmem([{ op: 'pull', base: teamA2.url }]);
    t.strictSame(
      rotated!.body,
      replaced!.body,
      'a new key sees the same federation; the revoked one stored nothing',
    );

    // A clean restart: the revocation and the new key are durable too.
    hub.proc.kill('SIGTERM');
    t.equal(await hub.exited, 0);
    hub = await h.start();
    const [still, fresh] = await agmem([
      { op: 'pull', base: teamA.url },
      { op: 'pull', base: teamA2.url },
    ]);
    t.equal(still!.status, 401, 'still revoked after a restart');
    t.strictSame(fresh!.body, replaced!.body);

    const listed = await cli(h.httpUrl, dir, 'federation', 'key', 'list');
    t.match(listed, teamA2.id);
    t.match(listed, new RegExp(`${teamA.id}.*revoked`));
    const federations = await cli(h.httpUrl, dir, 'federation', 'list');
    t.match(federations, /team-a\s+40\s+400\s+2\s+1/);
    t.match(federations, /team-b\s+1\s+1\s+1\s+1/);

    const forgot = await cli(h.httpUrl, dir, 'federation', 'forget', 'team-b');
    t.match(forgot, 'forgot 1 summary of federation "team-b"');
    const [emptied] = await agmem([{ op: 'pull', base: teamB.url }]);
    t.equal(emptied!.body.contributing_agents, 0, 'forgotten; its key still valid');

    // The secrets: shown once by `key create`, never in the hub's output nor in its data dir.
    hub.proc.kill('SIGTERM');
    await hub.exited;
    for (const key of [teamA.key, teamB.key, teamA2.key]) {
      t.notMatch(hub.output(), key, 'not in the log');
      t.notMatch(listed, key, 'not in key list');
      const holding = filesUnder(dir).filter(({ bytes }) => bytes.includes(key));
      t.same(
        holding.map((f) => f.file),
        [],
        'not in any file of the data dir',
      );
    }
  },
);
