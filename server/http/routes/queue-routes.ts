import { ErrorCode, PRIORITY_NAMES, nameSchema } from '../../../protocol/index.js';
import type { QueueState } from '../../core/index.js';
import type { Hub } from '../../hub/hub.js';
import { HttpError } from '../http-error.js';
import { assertQueueAllowed, executeDurably } from '../hub-calls.js';
import { mayUseQueue } from '../../auth/index.js';
import type { Route } from '../router.js';
import { parseBody } from '../validate.js';

export interface QueueJson {
  name: string;
  paused: boolean;
  depth: Record<string, number>;
  queued: number;
  delayed: number;
  leased: number;
  dead: number;
  workers: number;
}

export function toQueueJson(hub: Hub, q: QueueState): QueueJson {
  const depth: Record<string, number> = {};
  PRIORITY_NAMES.forEach((p, i) => (depth[p] = q.depth[i]!));
  let workers = 0;
  for (const w of hub.core.workers.values()) if (w.queues.includes(q.name)) workers++;
  return {
    name: q.name,
    paused: q.paused,
    depth,
    queued: q.runnable,
    delayed: q.delayed,
    leased: q.leased,
    dead: q.dead.size,
    workers,
  };
}

/**
 * A queue exists once a task was submitted to it or a worker registered for it. Every route
 * here answers 404 QUEUE_NOT_FOUND for any other name, pause included: pausing a name that
 * was mistyped would otherwise make a paused queue nobody uses and report success.
 */
function getQueue(hub: Hub, name: string): QueueState {
  const q = hub.core.queues.get(parseBody(nameSchema, name, 'queue name'));
  if (!q) throw new HttpError(404, ErrorCode.QUEUE_NOT_FOUND, `no queue ${name}`);
  return q;
}

/** /api/v1/queues: depths, pause/resume, purge of the dead-letter queue. */
export function queueRoutes(hub: Hub): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/queues',
      auth: ['admin'],
      handler: ({ grant }) => ({
        body: {
          queues: [...hub.core.queues.values()]
            .filter((q) => !grant || mayUseQueue(grant, q.name))
            .map((q) => toQueueJson(hub, q)),
        },
      }),
    },
    {
      method: 'GET',
      path: '/api/v1/queues/:name',
      auth: ['admin'],
      handler: ({ params, grant }) => {
        assertQueueAllowed(grant, params.name!);
        return { body: toQueueJson(hub, getQueue(hub, params.name!)) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/queues/:name/pause',
      auth: ['admin'],
      handler: async ({ params, grant }) => {
        assertQueueAllowed(grant, params.name!);
        const q = getQueue(hub, params.name!);
        await executeDurably(hub, { type: 'queue.pause', now: hub.now(), queue: q.name });
        return { body: toQueueJson(hub, q) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/queues/:name/resume',
      auth: ['admin'],
      handler: async ({ params, grant }) => {
        assertQueueAllowed(grant, params.name!);
        const q = getQueue(hub, params.name!);
        await executeDurably(hub, { type: 'queue.resume', now: hub.now(), queue: q.name });
        return { body: toQueueJson(hub, q) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/queues/:name/dead',
      auth: ['admin'],
      handler: async ({ params, grant }) => {
        assertQueueAllowed(grant, params.name!);
        const q = getQueue(hub, params.name!);
        const result = await executeDurably(hub, {
          type: 'queue.purge-dead',
          now: hub.now(),
          queue: q.name,
        });
        return { body: { queue: q.name, purged: result.count ?? 0 } };
      },
    },
  ];
}
