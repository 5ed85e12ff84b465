import type { SortedChunk } from '../core/index.js';
import type { PullView } from '../gateway/federation-operations.js';

/**
 * The JSON of a chunk of sorted hashes, without its brackets, by chunk: a chunk keeps its
 * object and counts its changes in `version`, so after a change between two pulls only the
 * chunks that changed are stringified again (at 100,000 hashes, a few KB instead of 6.7 MB),
 * and a pull after no change writes only bytes it already has.
 */
const chunkJson = new WeakMap<SortedChunk, { version: number; json: Buffer }>();
const topicsJson = new WeakMap<readonly (readonly [string, number])[], Buffer>();

const COMMA = Buffer.from(',');

function jsonOf(chunk: SortedChunk): Buffer {
  const cached = chunkJson.get(chunk);
  if (cached && cached.version === chunk.version) return cached.json;
  const json = Buffer.from(JSON.stringify(chunk.items).slice(1, -1));
  chunkJson.set(chunk, { version: chunk.version, json });
  return json;
}

/**
 * The body of `GET {base}/pull`, in pieces to write in order (one writev when corked):
 * the reference's fields in its order. `now` is `last_updated` of a federation with no
 * summary, as in the reference.
 */
export function pullBody(view: PullView, now: string): Buffer[] {
  let topics = topicsJson.get(view.topics);
  if (!topics) {
    topics = Buffer.from(JSON.stringify(Object.fromEntries(view.topics)));
    topicsJson.set(view.topics, topics);
  }
  const out: Buffer[] = [
    Buffer.from('{"merged_topic_counts":'),
    topics,
    Buffer.from(',"unique_fact_hashes":['),
  ];
  let first = true;
  for (const chunk of view.hashes.chunks()) {
    if (chunk.items.length === 0) continue;
    if (!first) out.push(COMMA);
    out.push(jsonOf(chunk));
    first = false;
  }
  out.push(
    Buffer.from(
      `],"contributing_agents":${view.agents},"last_updated":${JSON.stringify(view.lastUpdated ?? now)}` +
        `,"metadata":{"total_facts":${view.hashes.size},"total_topics":${view.topics.length}}}`,
    ),
  );
  return out;
}
