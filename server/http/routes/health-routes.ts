import type { Hub } from '../../hub/hub.js';
import { callerOf, type Route } from '../router.js';

/** Liveness and readiness (open, for load balancers) and Prometheus metrics. */
export function healthRoutes(hub: Hub): Route[] {
  return [
    {
      method: 'GET',
      path: '/health',
      auth: 'open',
      handler: () => ({
        body: {
          status: hub.phase === 'ready' ? 'ok' : hub.phase,
          uptimeSeconds: Math.round((Date.now() - hub.startedAt) / 1000),
          version: hub.version,
          ...(hub.cluster ? { role: hub.cluster.role, hubId: hub.cluster.hubId } : {}),
        },
      }),
    },
    {
      method: 'GET',
      path: '/ready',
      auth: 'open',
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
      handler: async ({ res }) => {
        const text = await hub.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': hub.metrics.registry.contentType });
        res.end(text);
        return undefined;
      },
    },
  ];
}
