/**
 * Names every hub of a cluster agrees on, from the configured prefix. Pub/sub channels are
 * not keys (Redis Cluster broadcasts them), so they carry no hash tag; the keys do, so that a
 * cluster's keys share one slot.
 */
export interface ClusterNames {
  /** Where batches for `hubId` are published. */
  relayChannel(hubId: string): string;
  /** An edge's presence: it exists while the edge runs (refreshed, with a TTL). */
  edgeKey(hubId: string): string;
  /** The leader's addresses, written only by the hub holding the lease. */
  readonly leaderKey: string;
}

export function clusterNames(prefix: string): ClusterNames {
  const tag = `{sb:${prefix}}`;
  return {
    relayChannel: (hubId) => `${tag}:relay:${hubId}`,
    edgeKey: (hubId) => `${tag}:edge:${hubId}`,
    leaderKey: `${tag}:leader`,
  };
}
