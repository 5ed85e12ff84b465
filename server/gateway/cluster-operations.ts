import { hostname } from 'node:os';
import { ErrorCode } from '../../protocol/index.js';
import type { Role } from '../auth/index.js';
import type { Caller } from './caller.js';
import type { Engine } from './engine.js';
import { OperationError } from './operation-error.js';

/** One hub of the cluster, as the hub answering knows it. */
export interface ClusterHub {
  hubId: string;
  /** leader: runs the core; edge: relays its clients to the leader; single: no cluster. */
  role: 'leader' | 'edge' | 'single';
  /** Where clients reach it, when it said (an edge that has not opened its ports yet has not). */
  httpUrl?: string;
  wsUrl?: string;
  /** Unix ms (the answering hub's clock) of its last sign of life. */
  lastSeenAt: number;
  /** The hub that answered. */
  self: boolean;
}

export interface ClusterView {
  engine: 'embedded' | 'redis';
  /** The answering hub's clock (Unix ms), to read lastSeenAt against. */
  at: number;
  hubs: ClusterHub[];
}

/** Where the cluster's hubs are read from (the runtime attaches one; Redis for a cluster). */
export type ClusterSource = () => Promise<ClusterView>;

interface GatewayRules {
  requireRole(caller: Caller, role: Role, what: string): void;
}

/**
 * The hubs of this hub's cluster: the leader and its edges on the Redis engine
 * (server/cluster/cluster-members.ts reads them), the one hub on the embedded engine.
 * Admin only: the list names hosts and ports.
 */
export class ClusterOperations {
  private source: ClusterSource | undefined;

  constructor(
    private readonly hub: Engine,
    private readonly rules: GatewayRules,
  ) {}

  /** The runtime's source of the list (one per hub; a later one replaces it). */
  attach(source: ClusterSource): void {
    this.source = source;
  }

  async hubs(caller: Caller): Promise<ClusterView> {
    this.rules.requireRole(caller, 'admin', "read the cluster's hubs");
    if (!this.source) {
      const at = this.hub.now();
      return {
        engine: 'embedded',
        at,
        hubs: [{ hubId: hostname(), role: 'single', lastSeenAt: at, self: true }],
      };
    }
    try {
      return await this.source();
    } catch (err) {
      throw new OperationError(
        ErrorCode.ENGINE_UNAVAILABLE,
        `the cluster's hubs could not be read from Redis: ${(err as Error).message}`,
      );
    }
  }
}
