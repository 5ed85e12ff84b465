import { createHash } from 'node:crypto';

/**
 * The federated-summaries workload, the same for every system and every run: `agents`
 * agents, each with `hashesPerAgent` distinct fact hashes drawn (seeded) from a universe
 * of `universe` SHA-256 hex hashes, and two topics. The universe is what makes a pull's
 * size: every distinct hash is in every answer (at 100,000 that is 6.7 MB of JSON), so a
 * universe of ten million (no overlap at all) would measure the loopback, not the merge.
 */
export interface FederationWorkload {
  readonly agents: number;
  readonly hashesPerAgent: number;
  readonly universe: number;
  readonly seed: number;
}

export const FULL_WORKLOAD: FederationWorkload = {
  agents: 10_000,
  hashesPerAgent: 1000,
  universe: 100_000,
  seed: 16,
};

export const QUICK_WORKLOAD: FederationWorkload = {
  agents: 1000,
  hashesPerAgent: 1000,
  universe: 20_000,
  seed: 16,
};

/** mulberry32: small, fast, seeded; the same sequence on every machine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FederationWorkloadData {
  /** The universe, index → SHA-256 hex. */
  readonly hashes: string[];
  private fresh = 0;

  constructor(readonly w: FederationWorkload) {
    this.hashes = Array.from({ length: w.universe }, (_, i) =>
      createHash('sha256').update(`fact ${i}`).digest('hex'),
    );
  }

  agentId(a: number): string {
    return `agent-${a.toString(16).padStart(16, '0')}`;
  }

  /** Agent `a`'s hashes in version `v` of its summary (distinct within the summary). */
  factHashes(a: number, v = 0): string[] {
    const next = rng(this.w.seed * 1_000_003 + a * 7919 + v * 104_729);
    const picked = new Set<number>();
    const want = Math.min(this.w.hashesPerAgent, this.w.universe);
    while (picked.size < want) picked.add(Math.floor(next() * this.w.universe));
    return [...picked].map((i) => this.hashes[i]!);
  }

  /**
   * A re-push that changes the set of distinct hashes: the agent's hashes with `newHashes`
   * of them swapped for hashes no agent ever had (what makes a pull re-merge and re-render).
   */
  churnedHashes(a: number, v: number, newHashes: number): string[] {
    const hashes = this.factHashes(a, v);
    for (let i = 0; i < newHashes && i < hashes.length; i++) {
      hashes[i] = createHash('sha256').update(`new fact ${this.fresh++}`).digest('hex');
    }
    return hashes;
  }

  summary(a: number, hashes: string[], at: number): object {
    return {
      agent_id: this.agentId(a),
      timestamp: new Date(at).toISOString(),
      topic_counts: {
        episodic: hashes.length >> 1,
        semantic: hashes.length - (hashes.length >> 1),
      },
      fact_hashes: hashes,
    };
  }
}
