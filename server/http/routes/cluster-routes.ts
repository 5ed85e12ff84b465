import { z } from 'zod';
import type { ClusterView } from '../../gateway/cluster-operations.js';
import type { Hub } from '../../hub/hub.js';
import { callerOf, type Route } from '../router.js';

const clusterHub = z.object({
  hubId: z.string(),
  role: z
    .enum(['leader', 'edge', 'single'])
    .describe('leader: runs the core; edge: relays its clients to the leader; single: no cluster'),
  httpUrl: z.string().optional().describe('the side port, as the hub advertises it'),
  wsUrl: z.string().optional().describe('the WebSocket port, as the hub advertises it'),
  lastSeenAt: z
    .number()
    .int()
    .describe("Unix ms, on the answering hub's clock: the hub's last refresh of its key in Redis"),
  self: z.boolean().describe('the hub that answered (on the Redis engine, the leader)'),
});
const clusterView = z
  .object({
    engine: z.enum(['embedded', 'redis']),
    at: z.number().int().describe("the answering hub's clock (Unix ms), to read lastSeenAt by"),
    hubs: z.array(clusterHub).describe('the leader first, then the edges by id (at most 1,000)'),
  })
  .meta({ id: 'ClusterView' }) satisfies z.ZodType<ClusterView>;

/**
 * GET /api/v1/cluster: the hubs of the cluster, for operators and the dashboard's overview.
 * An edge forwards the request to the leader, so any hub gives the same answer.
 */
export function clusterRoutes(hub: Hub): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/cluster',
      auth: ['admin'],
      doc: {
        summary: "The cluster's hubs: the leader and its edges (the embedded engine: this hub)",
        tags: ['health'],
        responses: { 200: clusterView },
      },
      handler: async (ctx) => ({ body: await hub.gateway.cluster.hubs(callerOf(ctx)) }),
    },
  ];
}
