import { nameSchema } from '../../../protocol/index.js';
import type { Hub } from '../../hub/hub.js';
import { toWorkerJson } from '../../hub/task-view.js';
import { callerOf, type RequestContext, type Route } from '../router.js';
import { parseBody } from '../validate.js';

/** /api/v1/workers: list, get, drain (no new tasks), disconnect (close its socket). */
export function workerRoutes(hub: Hub): Route[] {
  const gw = hub.gateway;
  const id = (ctx: RequestContext): string => parseBody(nameSchema, ctx.params.id, 'worker id');
  return [
    {
      method: 'GET',
      path: '/api/v1/workers',
      auth: ['admin'],
      handler: (ctx) => ({ body: { workers: gw.workers(callerOf(ctx)).map(toWorkerJson) } }),
    },
    {
      method: 'GET',
      path: '/api/v1/workers/:id',
      auth: ['admin'],
      handler: (ctx) => ({ body: toWorkerJson(gw.worker(callerOf(ctx), id(ctx))) }),
    },
    {
      method: 'POST',
      path: '/api/v1/workers/:id/drain',
      auth: ['admin'],
      handler: (ctx) => {
        const caller = callerOf(ctx);
        const w = gw.worker(caller, id(ctx));
        gw.drain(caller, w.id);
        return { body: toWorkerJson(w) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/workers/:id/disconnect',
      auth: ['admin'],
      handler: (ctx) => {
        const workerId = id(ctx);
        gw.disconnect(callerOf(ctx), workerId);
        return { body: { id: workerId, disconnected: true } };
      },
    },
  ];
}
