import { z } from 'zod';
import {
  PRIORITY_NAMES,
  nameSchema,
  queueLimitsSchema,
  type QueueJson,
  type QueueLimitsJson,
} from '../../../protocol/index.js';
export type { QueueJson } from '../../../protocol/index.js';
import type { QueueState } from '../../core/index.js';
import type { Hub } from '../../hub/hub.js';
import { callerOf, type RequestContext, type Route } from '../router.js';
import { parseParams } from '../route-input.js';
import { parseBody } from '../validate.js';
import { errorJson } from '../schemas/error-json.js';
import { queueJson } from '../schemas/queue-json.js';

const queueParams = z.strictObject({ name: nameSchema });
const queueList = z.object({ queues: z.array(queueJson) });
const purged = z.object({
  queue: z.string(),
  purged: z.number().int().min(0).describe('dead tasks removed'),
});

/** A queue's limits and their use at `now`; null when it has none. */
export function toQueueLimitsJson(q: QueueState, now: number): QueueLimitsJson | null {
  const limits = q.limits;
  if (!limits) return null;
  const { rate, concurrency, group } = limits.spec;
  return {
    rate: rate ? { count: rate.count, perMs: rate.perMs, burst: rate.burst ?? 1 } : null,
    concurrency: concurrency ?? null,
    group: group ? { key: group.key, concurrency: group.concurrency } : null,
    startsInWindow: limits.startsInWindow(now),
    groupsAtLimit: limits.groupsAtLimit(),
    groupsRunning: limits.groupRunning.size,
  };
}

/** A queue as REST shows it; `workers`: how many registered workers serve it. */
export function toQueueJson(q: QueueState, workers: number, now = Date.now()): QueueJson {
  const depth: Record<string, number> = {};
  PRIORITY_NAMES.forEach((p, i) => (depth[p] = q.depth[i]!));
  return {
    name: q.name,
    paused: q.paused,
    depth,
    queued: q.runnable,
    delayed: q.delayed,
    waiting: q.waiting,
    leased: q.leased,
    dead: q.dead.size,
    workers,
    limits: toQueueLimitsJson(q, now),
  };
}

/** /api/v1/queues: depths, pause/resume, purge of the dead-letter queue. */
export function queueRoutes(hub: Hub): Route[] {
  const gw = hub.gateway;
  /**
   * A queue exists once a task was submitted to it or a worker registered for it. Every
   * route here answers 404 QUEUE_NOT_FOUND for any other name, pause included: pausing a
   * name that was mistyped would otherwise make a paused queue nobody uses and report success.
   */
  const name = (ctx: RequestContext): string => parseParams(queueParams, ctx).name;
  const json = (ctx: RequestContext, q: QueueState): QueueJson =>
    toQueueJson(q, gw.queueWorkers(callerOf(ctx), q.name), hub.now());
  return [
    {
      method: 'GET',
      path: '/api/v1/queues',
      auth: ['admin'],
      doc: {
        summary: 'Every queue: depths by priority, delayed, leased, dead, paused',
        tags: ['queues'],
        responses: { 200: queueList },
      },
      handler: (ctx) => ({
        body: { queues: gw.queues(callerOf(ctx)).map((q) => json(ctx, q)) },
      }),
    },
    {
      method: 'GET',
      path: '/api/v1/queues/:name',
      auth: ['admin'],
      doc: {
        summary: 'One queue',
        tags: ['queues'],
        params: queueParams,
        responses: { 200: queueJson, 404: errorJson },
      },
      handler: (ctx) => ({ body: json(ctx, gw.queue(callerOf(ctx), name(ctx))) }),
    },
    {
      method: 'POST',
      path: '/api/v1/queues/:name/pause',
      auth: ['admin'],
      doc: {
        summary: 'Stop dispatching from a queue (submits are still taken)',
        tags: ['queues'],
        params: queueParams,
        responses: { 200: queueJson, 404: errorJson },
      },
      handler: async (ctx) => ({
        body: json(ctx, await gw.pauseQueue(callerOf(ctx), name(ctx))),
      }),
    },
    {
      method: 'POST',
      path: '/api/v1/queues/:name/resume',
      auth: ['admin'],
      doc: {
        summary: 'Dispatch from a paused queue again',
        tags: ['queues'],
        params: queueParams,
        responses: { 200: queueJson, 404: errorJson },
      },
      handler: async (ctx) => ({
        body: json(ctx, await gw.resumeQueue(callerOf(ctx), name(ctx))),
      }),
    },
    {
      method: 'PUT',
      path: '/api/v1/queues/:name/limits',
      auth: ['admin'],
      doc: {
        summary: "Set a queue's rate, concurrency and group limits (replacing the ones it had)",
        description:
          'The body is the whole set: a limit it leaves out is removed. Holds cluster-wide; see docs/rate-limits.md for the window semantics.',
        tags: ['queues'],
        params: queueParams,
        body: queueLimitsSchema,
        responses: { 200: queueJson, 400: errorJson, 404: errorJson },
      },
      handler: async (ctx) => {
        const queue = name(ctx);
        const limits = parseBody(queueLimitsSchema, ctx.body);
        return { body: json(ctx, await gw.setQueueLimits(callerOf(ctx), queue, limits)) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/queues/:name/limits',
      auth: ['admin'],
      doc: {
        summary: 'Remove every limit of a queue',
        tags: ['queues'],
        params: queueParams,
        responses: { 200: queueJson, 404: errorJson },
      },
      handler: async (ctx) => ({
        body: json(ctx, await gw.setQueueLimits(callerOf(ctx), name(ctx), {})),
      }),
    },
    {
      method: 'DELETE',
      path: '/api/v1/queues/:name/dead',
      auth: ['admin'],
      doc: {
        summary: "Purge a queue's dead-letter queue",
        tags: ['queues'],
        params: queueParams,
        responses: { 200: purged, 404: errorJson },
      },
      handler: async (ctx) => {
        const queue = name(ctx);
        return { body: { queue, purged: await gw.purgeDead(callerOf(ctx), queue) } };
      },
    },
  ];
}
