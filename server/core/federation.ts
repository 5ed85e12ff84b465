import { byCodeUnits, FactTable } from './fact-table.js';
import { SortedChunks, type SortedStrings } from './sorted-chunks.js';

/** One agent's summary as pushed (validated at the edge; the core takes it as it comes). */
export interface SummaryInput {
  agentId: string;
  /** As the agent wrote it (ISO 8601): `last_updated` echoes it. */
  timestamp: string;
  /** The same instant, Unix ms: what `since` and "newest" compare. */
  at: number;
  topicCounts: Readonly<Record<string, number>>;
  factHashes: readonly string[];
  /**
   * More fact hashes: each 64-character lowercase hex one (agmem's SHA-256) as its 32 bytes,
   * back to back. The HTTP edge decodes them straight from the request body
   * (server/http/federation-push-body.ts), so a push makes no string for a hash the hub
   * holds already, and the journal keeps them as bytes. The summary's hashes are these and
   * `factHashes` together, in no particular order (the merge is a set).
   */
  packedHashes?: Uint8Array;
  memoryTypes?: readonly string[];
  metadata?: Readonly<Record<string, unknown>>;
}

/** An agent's current summary. Never changed in place: a re-push replaces the record. */
export interface StoredSummary {
  readonly agentId: string;
  readonly timestamp: string;
  readonly at: number;
  /** The hub's time of the push. */
  readonly receivedAt: number;
  /** Who pushed it: `key:<id>` for a federation key, else the token's identity. */
  readonly pushedBy: string;
  readonly topics: readonly (readonly [string, number])[];
  /** Ids in the federation's FactTable, each once. */
  readonly facts: Uint32Array;
  readonly memoryTypes: readonly string[] | undefined;
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
}

/** The merge of some summaries: what `pull` answers. */
export interface MergedView {
  /** Sorted by topic. */
  readonly topics: readonly (readonly [string, number])[];
  /** Sorted, each once. */
  readonly hashes: SortedStrings;
  readonly agents: number;
}

interface TopicTotal {
  sum: number;
  /** Summaries naming the topic (a topic counted 0 still shows, as in the reference). */
  holders: number;
}

/**
 * One federation: the latest summary of each agent, and their merge kept up to date as
 * summaries come and go. A push costs O(size of the summary) plus, for a re-push, the size
 * of the one it replaces; the merged view is read without walking the agents.
 */
export class Federation {
  readonly agents = new Map<string, StoredSummary>();
  readonly facts: FactTable;
  private readonly topicTotals = new Map<string, TopicTotal>();
  private topicOrder: readonly (readonly [string, number])[] | undefined = [];
  /** Topic counts and fact hashes over every stored summary (the hub-wide budget counts these). */
  items = 0;
  private newest: StoredSummary | undefined;
  /** `newest` may be stale: the summary it named was replaced or forgotten. */
  private newestStale = false;

  /** @param seed the fact table's (fact-table.ts): placement only, never a result. */
  constructor(
    readonly name: string,
    seed = 0,
  ) {
    this.facts = new FactTable(seed);
  }

  /** Store an agent's summary, replacing the one it had. Returns the change in `items`. */
  push(input: SummaryInput, pushedBy: string, now: number): number {
    // Acquire the new hashes before releasing the old: a hash in both stays held throughout,
    // so an unchanged re-push leaves the sorted chunks (and what is cached from them) as they were.
    const facts = this.facts.acquire(input.factHashes, input.packedHashes);
    const topics: [string, number][] = [];
    for (const topic of Object.keys(input.topicCounts)) {
      const count = input.topicCounts[topic]!;
      topics.push([topic, count]);
      this.addTopic(topic, count);
    }
    const summary: StoredSummary = {
      agentId: input.agentId,
      timestamp: input.timestamp,
      at: input.at,
      receivedAt: now,
      pushedBy,
      topics,
      facts,
      memoryTypes: input.memoryTypes,
      metadata: input.metadata,
    };
    const before = this.agents.get(input.agentId);
    const removed = before ? this.drop(before) : 0;
    // Deleted first so the map's order is push order: "newest" breaks ties by it.
    this.agents.delete(input.agentId);
    this.agents.set(input.agentId, summary);
    this.noteNewest(summary);
    const added = topics.length + facts.length;
    this.items += added;
    return added - removed;
  }

  /** Forget an agent's summary. Returns the change in `items` (0 when it had none). */
  forget(agentId: string): number {
    const before = this.agents.get(agentId);
    if (!before) return 0;
    this.agents.delete(agentId);
    return -this.drop(before);
  }

  /** The merge of every current summary. */
  merged(): MergedView {
    return { topics: this.topics(), hashes: this.facts.sorted(), agents: this.agents.size };
  }

  /**
   * The merge of the summaries whose timestamp is after `since` (Unix ms): what changed.
   * Computed on the spot, O(agents + size of the matching summaries).
   */
  mergedSince(since: number): MergedView {
    const totals = new Map<string, number>();
    const ids = new Set<number>();
    let agents = 0;
    for (const s of this.agents.values()) {
      if (s.at <= since) continue;
      agents++;
      for (const [topic, count] of s.topics) totals.set(topic, (totals.get(topic) ?? 0) + count);
      for (let i = 0; i < s.facts.length; i++) ids.add(s.facts[i]!);
    }
    const hashes = [...ids].map((id) => this.facts.hashOf(id)).sort(byCodeUnits);
    const topics = [...totals].sort((a, b) => byCodeUnits(a[0], b[0]));
    return { topics, hashes: SortedChunks.fromSorted(hashes), agents };
  }

  /** The summary with the newest timestamp (ties: the one pushed last). */
  newestSummary(): StoredSummary | undefined {
    if (this.newestStale) {
      this.newest = undefined;
      this.newestStale = false;
      for (const s of this.agents.values()) this.noteNewest(s);
    }
    return this.newest;
  }

  /** Topic totals, sorted by topic; the same array until a total changes. */
  topics(): readonly (readonly [string, number])[] {
    if (this.topicOrder === undefined) {
      this.topicOrder = [...this.topicTotals]
        .map(([topic, t]) => [topic, t.sum] as const)
        .sort((a, b) => byCodeUnits(a[0], b[0]));
    }
    return this.topicOrder;
  }

  /** Re-add a summary read from a snapshot (its fact ids already in the restored table). */
  adopt(summary: StoredSummary): void {
    this.facts.hold(summary.facts);
    for (const [topic, count] of summary.topics) this.addTopic(topic, count);
    this.agents.set(summary.agentId, summary);
    this.noteNewest(summary);
    this.items += summary.topics.length + summary.facts.length;
  }

  private drop(summary: StoredSummary): number {
    this.facts.release(summary.facts);
    for (const [topic, count] of summary.topics) {
      const t = this.topicTotals.get(topic)!;
      t.sum -= count;
      if (--t.holders === 0) this.topicTotals.delete(topic);
    }
    if (summary.topics.length > 0) this.topicOrder = undefined;
    if (this.newest === summary) this.newestStale = true;
    const n = summary.topics.length + summary.facts.length;
    this.items -= n;
    return n;
  }

  private addTopic(topic: string, count: number): void {
    const t = this.topicTotals.get(topic);
    if (t) {
      t.sum += count;
      t.holders++;
    } else this.topicTotals.set(topic, { sum: count, holders: 1 });
    this.topicOrder = undefined;
  }

  private noteNewest(s: StoredSummary): void {
    if (this.newestStale) return;
    if (this.newest === undefined || s.at >= this.newest.at) this.newest = s;
  }
}
