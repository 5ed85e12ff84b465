import t from 'tap';
import { requireTool } from '../helpers/requires.js';
import { startCluster } from '../helpers/cluster.js';
import { restCall } from '../helpers/rest-call.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SHARED_HEX = 'c0ffee'.padEnd(64, '0');

/**
 * Federated summaries on the Redis engine: the same state on every hub of a cluster (a key
 * minted through one hub opens the federation on the other; pushes through either are one
 * merge), and the leader's death loses no acknowledged push and no key.
 */
if (requireTool('redis')) {
  t.test('one federation across two hubs, and after the leader dies', async (t) => {
    const c = await startCluster(t, 2);
    await c.start(0);
    await sleep(200);
    await c.start(1);
    const lead = await c.leader();
    const edge = 1 - lead;
    const url = (i: number) => c.hubs[i]!.httpUrl;

    const minted = await restCall(`${url(edge)}/api/v1/federation-keys`, 'POST', {
      body: { federation: 'team-a' },
    });
    t.equal(minted.status, 201, 'minted through the edge');
    const base = (i: number) => `${url(i)}/federation/${minted.json.key as string}`;
    const push = (i: number, agent: string, hashes: string[]) =>
      restCall(`${base(i)}/push`, 'POST', {
        body: {
          summary: {
            agent_id: agent,
            timestamp: '2026-02-01T12:00:00Z',
            topic_counts: { semantic: hashes.length },
            fact_hashes: hashes,
          },
        },
      });
    const pushed = await Promise.all([
      // SHA-256 hex (the route journals it as bytes) and other strings.
      ...Array.from({ length: 10 }, (_, a) =>
        push(lead, `lead-${a}`, [`h${a}`, 'shared', SHARED_HEX]),
      ),
      ...Array.from({ length: 10 }, (_, a) =>
        push(edge, `edge-${a}`, [`e${a}`, 'shared', `${a}`.repeat(64)]),
      ),
    ]);
    t.same(
      pushed.map((p) => p.status),
      pushed.map(() => 200),
      'pushes through both hubs accepted',
    );
    const viaLead = (await restCall(`${base(lead)}/pull`)).json;
    const viaEdge = (await restCall(`${base(edge)}/pull`)).json;
    t.strictSame(viaEdge, viaLead, 'the same merge from either hub');
    t.equal(viaLead.contributing_agents, 20);
    t.equal(viaLead.metadata.total_facts, 32);
    t.ok(viaLead.unique_fact_hashes.includes(SHARED_HEX), 'a hex hash comes back as it went');
    t.same(viaLead.merged_topic_counts, { semantic: 60 });

    c.children[lead]!.proc.kill('SIGKILL');
    await c.children[lead]!.exited;
    t.equal(await c.leader(10_000), edge, 'the other hub leads');
    const after = await restCall(`${base(edge)}/pull`);
    t.equal(after.status, 200, 'the key still opens the federation');
    t.strictSame(after.json, viaLead, 'every acknowledged push survived the failover');
    t.equal((await push(edge, 'late', ['late'])).status, 200, 'and it takes new pushes');
  });
}
