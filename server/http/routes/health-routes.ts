import { z } from 'zod';
import { NodeStatus, WORKSPACE_STATUSES } from '../../core/index.js';
import { HubPhase, type Hub } from '../../hub/hub.js';
import { callerOf, type Route } from '../router.js';

const uptimeSeconds = z.number().int().min(0);
const phase = z.enum(HubPhase);
/** An edge hub of a cluster answers /health and /ready itself (server/cluster/edge-hub.ts). */
const edgeOf = z.object({
  role: z.literal('edge'),
  hubId: z.string(),
  leader: z.string().nullable().describe('the hub that leads the cluster, when one does'),
});
const health = z.union([
  z.object({
    status: z.union([z.literal('ok'), phase]).describe('ok once ready, else the hub phase'),
    uptimeSeconds,
    version: z.string(),
    role: z.literal('leader').optional().describe('in a cluster'),
    hubId: z.string().optional().describe('in a cluster'),
  }),
  edgeOf.extend({ status: z.literal('ok') }),
]);
const ready = z.union([
  z.object({ status: z.literal('ready') }),
  edgeOf.extend({ ready: z.boolean() }),
]);
const notReady = z.union([
  z.object({
    status: z
      .enum(['recovering', 'engine-unavailable', 'draining', 'stopped'])
      .describe('recovering: the log replays; engine-unavailable: the store is not reachable'),
  }),
  edgeOf.extend({ ready: z.literal(false) }),
]);
const count = z.number().int().min(0);
const stats = z.object({
  at: z.number().int(),
  status: phase,
  uptimeSeconds,
  version: z.string(),
  connections: count,
  workers: count,
  tasks: z.object({ retained: count, queued: count, delayed: count, leased: count, dead: count }),
  totals: z
    .object({
      submitted: count,
      assigned: count,
      completed: count,
      failed: count,
      retried: count,
      dead: count,
      expired: count,
      cancelled: count,
    })
    .describe('since the hub process started'),
  assignmentLatencyMs: z
    .object({ p50: z.number().min(0), p99: z.number().min(0), samples: count })
    .describe('from runnable to assigned, over the last assignments'),
});
const hubStatus = z.object({
  status: z.union([z.literal('ok'), phase]).describe('ok once ready, else the hub phase'),
  version: z.string(),
  uptimeSeconds,
  users: count,
  workspaces: z.record(z.enum(WORKSPACE_STATUSES), count).describe('by status'),
  ports: z
    .object({ from: count, to: count, used: count, free: count })
    .describe('the SSH ports of `workspaces.sshPorts`'),
  nodes: z.record(z.enum(NodeStatus), count).describe('by status'),
});
const metricsText = z.string().describe('Prometheus text exposition format');

/** Liveness and readiness (open, for load balancers) and Prometheus metrics. */
export function healthRoutes(hub: Hub): Route[] {
  const uptime = () => Math.round((Date.now() - hub.startedAt) / 1000);
  const liveness = () => ({
    body: {
      status: hub.phase === 'ready' ? 'ok' : hub.phase,
      uptimeSeconds: uptime(),
      version: hub.version,
      ...(hub.cluster ? { role: hub.cluster.role, hubId: hub.cluster.hubId } : {}),
    },
  });
  return [
    {
      method: 'GET',
      path: '/health',
      auth: 'open',
      doc: { summary: 'Liveness', tags: ['health'], responses: { 200: health } },
      handler: liveness,
    },
    {
      method: 'GET',
      path: '/api/v1/health',
      auth: 'open',
      doc: {
        summary: 'Liveness (the same answer as /health, under the API prefix)',
        tags: ['health'],
        operationId: 'getApiHealth',
        responses: { 200: health },
      },
      handler: liveness,
    },
    {
      method: 'GET',
      path: '/api/v1/status',
      auth: ['producer'],
      doc: {
        summary: 'Users, workspaces by status, SSH ports used and free, nodes by status',
        tags: ['health'],
        responses: { 200: hubStatus },
      },
      handler: () => {
        const nodes = Object.fromEntries(Object.values(NodeStatus).map((s) => [s, 0]));
        for (const n of hub.core.nodes.nodes.values()) nodes[n.status]!++;
        return {
          body: {
            status: hub.phase === 'ready' ? 'ok' : hub.phase,
            version: hub.version,
            uptimeSeconds: uptime(),
            ...hub.gateway.workspaces.summary(),
            nodes,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/ready',
      auth: 'open',
      doc: {
        summary: 'Readiness: 200 once the state is recovered and the store is reachable',
        tags: ['health'],
        responses: { 200: ready, 503: notReady },
      },
      handler: () =>
        hub.ready
          ? { body: { status: 'ready' } }
          : {
              status: 503,
              body: {
                status:
                  hub.phase === 'recovering' || hub.phase === 'created'
                    ? 'recovering'
                    : hub.phase === 'ready'
                      ? 'engine-unavailable'
                      : hub.phase,
              },
            },
    },
    {
      method: 'GET',
      path: '/api/v1/stats',
      auth: ['admin'],
      doc: {
        summary: "Load and totals (of the token's queues, if it is scoped)",
        tags: ['health'],
        responses: { 200: stats },
      },
      handler: (ctx) => {
        const { workers, tasks } = hub.gateway.stats(callerOf(ctx));
        return {
          body: {
            at: Date.now(),
            status: hub.phase,
            uptimeSeconds: Math.round((Date.now() - hub.startedAt) / 1000),
            version: hub.version,
            connections: hub.connections,
            workers,
            tasks,
            totals: hub.stats.toJSON(),
            assignmentLatencyMs: hub.stats.latency(),
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      // Metrics reveal queue names and load: admin token outside development
      // (Prometheus sends it with `authorization: { credentials: ... }`).
      auth: ['admin'],
      doc: {
        summary: 'Prometheus metrics',
        tags: ['health'],
        produces: 'text/plain',
        responses: { 200: metricsText },
      },
      handler: async ({ res }) => {
        const text = await hub.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': hub.metrics.registry.contentType });
        res.end(text);
        return undefined;
      },
    },
  ];
}
