import { z } from 'zod';
import { nameSchema } from '../../../protocol/index.js';
import type { Hub } from '../../hub/hub.js';
import { toWorkerJson } from '../../hub/task-view.js';
import { callerOf, type RequestContext, type Route } from '../router.js';
import { parseParams } from '../route-input.js';
import { errorJson } from '../schemas/error-json.js';
import { workerJson } from '../schemas/worker-json.js';

const workerParams = z.strictObject({ id: nameSchema });
const workerList = z.object({ workers: z.array(workerJson) });
const disconnected = z.object({ id: z.string(), disconnected: z.literal(true) });

/** /api/v1/workers: list, get, drain (no new tasks), disconnect (close its socket). */
export function workerRoutes(hub: Hub): Route[] {
  const gw = hub.gateway;
  const id = (ctx: RequestContext): string => parseParams(workerParams, ctx).id;
  return [
    {
      method: 'GET',
      path: '/api/v1/workers',
      auth: ['admin'],
      doc: {
        summary: 'Every registered worker',
        tags: ['workers'],
        responses: { 200: workerList },
      },
      handler: (ctx) => ({ body: { workers: gw.workers(callerOf(ctx)).map(toWorkerJson) } }),
    },
    {
      method: 'GET',
      path: '/api/v1/workers/:id',
      auth: ['admin'],
      doc: {
        summary: 'One worker',
        tags: ['workers'],
        params: workerParams,
        responses: { 200: workerJson, 404: errorJson },
      },
      handler: (ctx) => ({ body: toWorkerJson(gw.worker(callerOf(ctx), id(ctx))) }),
    },
    {
      method: 'POST',
      path: '/api/v1/workers/:id/drain',
      auth: ['admin'],
      doc: {
        summary: 'Give a worker no new tasks; what it runs finishes',
        tags: ['workers'],
        params: workerParams,
        responses: { 200: workerJson, 404: errorJson },
      },
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
      doc: {
        summary: "Close a worker's connection (close code 4011), or remove an HTTP worker",
        tags: ['workers'],
        params: workerParams,
        responses: { 200: disconnected, 404: errorJson },
      },
      handler: (ctx) => {
        const workerId = id(ctx);
        gw.disconnect(callerOf(ctx), workerId);
        return { body: { id: workerId, disconnected: true } };
      },
    },
  ];
}
