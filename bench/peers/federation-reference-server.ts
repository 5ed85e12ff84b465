/**
 * The seed's reference coordinator's approach (memvcs/coordinator/server.py), in Node on
 * node:http so that it runs beside the hub on the same machine and the same loopback: the
 * summaries in memory, and on every pull the merge recomputed from all of them (sum the
 * topic counts, a set of every hash, sorted). One difference, so that both answer the same:
 * it keeps the latest summary per agent where the reference keeps every push (its pulls
 * would only get slower, and its counts double).
 *
 * Usage: node dist/bench/peers/federation-reference-server.js --port P   (prints {"bench":"ready",...})
 */
import { createServer } from 'node:http';
import { encodeChildMessage } from '../lib/child-messages.js';

interface Summary {
  agent_id: string;
  timestamp: string;
  topic_counts: Record<string, number>;
  fact_hashes: string[];
}

const summaries = new Map<string, Summary>();

function pull(): string {
  const merged = new Map<string, number>();
  const hashes = new Set<string>();
  let latest: string | undefined;
  for (const s of summaries.values()) {
    for (const [topic, count] of Object.entries(s.topic_counts))
      merged.set(topic, (merged.get(topic) ?? 0) + count);
    for (const h of s.fact_hashes) hashes.add(h);
    if (latest === undefined || s.timestamp > latest) latest = s.timestamp;
  }
  const unique = [...hashes].sort();
  return JSON.stringify({
    merged_topic_counts: Object.fromEntries(merged),
    unique_fact_hashes: unique,
    contributing_agents: summaries.size,
    last_updated: latest ?? new Date().toISOString(),
    metadata: { total_facts: unique.length, total_topics: merged.size },
  });
}

const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
const server = createServer((req, res) => {
  const reply = (status: number, body: string): void => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  if (req.method === 'GET' && req.url === '/pull') return reply(200, pull());
  if (req.method !== 'POST' || req.url !== '/push') return reply(404, '{"detail":"Not Found"}');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let s: Summary;
    try {
      s = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { summary: Summary }).summary;
      if (typeof s.agent_id !== 'string' || !Array.isArray(s.fact_hashes)) throw new Error('shape');
    } catch {
      return reply(422, '{"detail":"invalid summary"}');
    }
    summaries.set(s.agent_id, s);
    reply(
      200,
      JSON.stringify({
        status: 'accepted',
        agent_id: s.agent_id,
        timestamp: new Date().toISOString(),
        message: `Summary from ${s.agent_id} stored successfully`,
      }),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(encodeChildMessage({ bench: 'ready', port }));
});
