import type { WorkerRecord } from '../../core/index.js';
import type { Hub } from '../../hub/hub.js';
import { toWorkerJson } from '../../hub/task-view.js';
import { notFound } from '../http-error.js';
import type { Route } from '../router.js';

function getWorker(hub: Hub, id: string): WorkerRecord {
  const w = hub.core.workers.get(id);
  if (!w) throw notFound(`no worker ${id}`);
  return w;
}

/** /api/v1/workers: list, get, drain (no new tasks), disconnect (close its socket). */
export function workerRoutes(hub: Hub): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/workers',
      auth: ['admin'],
      handler: () => ({ body: { workers: [...hub.core.workers.values()].map(toWorkerJson) } }),
    },
    {
      method: 'GET',
      path: '/api/v1/workers/:id',
      auth: ['admin'],
      handler: ({ params }) => ({ body: toWorkerJson(getWorker(hub, params.id!)) }),
    },
    {
      method: 'POST',
      path: '/api/v1/workers/:id/drain',
      auth: ['admin'],
      handler: ({ params }) => {
        const w = getWorker(hub, params.id!);
        hub.drainWorker(w.id);
        return { body: toWorkerJson(w) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/workers/:id/disconnect',
      auth: ['admin'],
      handler: ({ params }) => {
        const w = getWorker(hub, params.id!);
        const closed = hub.kickWorker(w.id);
        if (!closed) hub.execute({ type: 'worker.unregister', now: hub.now(), workerId: w.id });
        return { body: { id: w.id, disconnected: true } };
      },
    },
  ];
}
