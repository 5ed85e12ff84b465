import type { Hub } from '../../hub/hub.js';
import type { CorsConfig } from '../../config/cors-schema.js';
import { corsHeaders } from '../cors.js';
import type { Route } from '../router.js';
import { clusterRoutes } from './cluster-routes.js';
import { compatRoutes } from './compat-routes.js';
import { eventRoutes } from './event-routes.js';
import { federationAdminRoutes } from './federation-admin-routes.js';
import { federationRoutes } from './federation-routes.js';
import { flowRoutes } from './flow-routes.js';
import { healthRoutes } from './health-routes.js';
import { longPollRoutes } from './long-poll-routes.js';
import { messageRoutes } from './message-routes.js';
import { nodeRoutes } from './node-routes.js';
import { openApiRoutes } from './openapi-routes.js';
import { purgeRoutes } from './purge-routes.js';
import { queueRoutes } from './queue-routes.js';
import { scheduleRoutes } from './schedule-routes.js';
import { taskRoutes } from './task-routes.js';
import { tokenRoutes } from './token-routes.js';
import { userRoutes } from './user-routes.js';
import { whoamiRoutes } from './whoami-routes.js';
import { workspaceRoutes } from './workspace-routes.js';
import { workerRoutes } from './worker-routes.js';

/**
 * Every route of the side port, in one list. The node routes need the hub's node executor
 * (a NodeService, which attaches itself to the gateway when constructed). The OpenAPI
 * document describes the whole list, itself included.
 */
export interface RouteOptions {
  /** server.cors: browser pages allowed on every route without CORS rules of its own. */
  cors?: CorsConfig;
}

export function allRoutes(hub: Hub, options: RouteOptions = {}): Route[] {
  const routes: Route[] = [
    ...healthRoutes(hub),
    ...clusterRoutes(hub),
    ...taskRoutes(hub),
    ...flowRoutes(hub),
    ...queueRoutes(hub),
    ...purgeRoutes(hub),
    ...scheduleRoutes(hub),
    ...workerRoutes(hub),
    ...eventRoutes(hub),
    ...messageRoutes(hub),
    ...compatRoutes(hub),
    ...longPollRoutes(hub),
    ...nodeRoutes(hub),
    ...tokenRoutes(hub),
    ...whoamiRoutes(hub),
    ...federationRoutes(hub),
    ...federationAdminRoutes(hub),
    ...userRoutes(hub),
    ...workspaceRoutes(hub),
  ];
  routes.push(...openApiRoutes(hub, () => routes));
  // One CORS rule for the REST API, the event streams and health; /federation keeps its own
  // (federation.cors). Preflights (OPTIONS) are the HTTP server's, from these headers.
  const cors = options.cors && corsHeaders(options.cors, 'GET, HEAD, POST, PUT, PATCH, DELETE');
  if (cors) for (const r of routes) r.headers ??= cors;
  return routes;
}
