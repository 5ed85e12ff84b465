import { z } from 'zod';
import {
  PRIORITY_NAMES,
  bodyTimeSchema,
  errorCodeFilterSchema,
  nameSchema,
  taskIdSchema,
  whereSchema,
  queueLimitsSchema,
  type QueueJson,
  type QueueLimitsJson,
} from '../../../protocol/index.js';
export type { QueueJson } from '../../../protocol/index.js';
import { MAX_BULK_TASKS, type QueueState, type TaskFilter } from '../../core/index.js';
import { toTaskJson } from '../../hub/task-view.js';
import { taskJson } from '../schemas/task-json.js';
import type { Hub } from '../../hub/hub.js';
import { callerOf, type RequestContext, type Route } from '../router.js';
import { parseParams } from '../route-input.js';
import { parseBody } from '../validate.js';
import { errorJson } from '../schemas/error-json.js';
import { queueJson } from '../schemas/queue-json.js';

const queueParams = z.strictObject({ name: nameSchema });
const queueList = z.object({ queues: z.array(queueJson) });
const bulkBody = z.strictObject({
  state: z.enum(['queued', 'delayed', 'leased', 'waiting-children']).optional(),
  errorCode: errorCodeFilterSchema.optional(),
  since: bodyTimeSchema.optional().describe('created at or after'),
  until: bodyTimeSchema.optional().describe('created before'),
  where: whereSchema.optional(),
  limit: z.number().int().min(1).max(MAX_BULK_TASKS).default(1000),
  reason: z.string().max(1024).optional(),
});
const bulkDone = z.object({
  queue: z.string(),
  count: z.number().int().min(0).describe('tasks acted on'),
  more: z.boolean().describe('matching tasks remain past `limit`: call again'),
});
const deadParams = z.strictObject({ name: nameSchema, id: taskIdSchema });
const deadTask = z.object({
  task: taskJson,
  attempts: z.array(
    z.object({
      attempt: z.number().int(),
      at: z.number().int(),
      workerId: z.string().nullable(),
      error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
    }),
  ),
});
const purged = z.object({
  queue: z.string(),
  purged: z.number().int().min(0).describe('dead tasks removed'),
});

/** The filter of a bulk body (bulk state only for cancel: retry takes dead tasks). */
function filterOf(b: z.output<typeof bulkBody>): TaskFilter {
  const f: TaskFilter = {};
  if (b.state !== undefined) f.state = b.state;
  if (b.errorCode !== undefined) f.errorCode = b.errorCode;
  if (b.since !== undefined) f.createdSince = b.since;
  if (b.until !== undefined) f.createdUntil = b.until;
  if (b.where !== undefined) f.where = b.where;
  return f;
}

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
      method: 'POST',
      path: '/api/v1/queues/:name/cancel',
      auth: ['admin'],
      doc: {
        summary: "Cancel a queue's unfinished tasks matching a filter, oldest first, up to `limit`",
        tags: ['queues'],
        params: queueParams,
        body: bulkBody,
        responses: { 200: bulkDone, 400: errorJson, 404: errorJson },
      },
      handler: async (ctx) => {
        const queue = name(ctx);
        const b = parseBody(bulkBody, ctx.body ?? {});
        const out = await gw.bulk(callerOf(ctx), queue, 'cancel', filterOf(b), b.limit, b.reason);
        return { body: { queue, ...out } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/queues/:name/retry',
      auth: ['admin'],
      doc: {
        summary: "Retry a queue's dead tasks matching a filter, oldest first, up to `limit`",
        tags: ['queues'],
        params: queueParams,
        body: bulkBody,
        responses: { 200: bulkDone, 400: errorJson, 404: errorJson },
      },
      handler: async (ctx) => {
        const queue = name(ctx);
        const b = parseBody(bulkBody, ctx.body ?? {});
        const out = await gw.bulk(callerOf(ctx), queue, 'retry', filterOf(b), b.limit);
        return { body: { queue, ...out } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/queues/:name/dead/:id',
      auth: ['admin'],
      doc: {
        summary: 'One dead task with its failed attempts and their errors',
        tags: ['queues'],
        params: deadParams,
        responses: { 200: deadTask, 404: errorJson },
      },
      handler: (ctx) => {
        const p = parseParams(deadParams, ctx);
        const { task, attempts } = gw.deadTask(callerOf(ctx), p.name, p.id);
        return {
          body: {
            task: toTaskJson(task),
            attempts: attempts.map((a) => ({ ...a, workerId: a.workerId ?? null })),
          },
        };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/queues/:name/dead/:id',
      auth: ['admin'],
      doc: {
        summary: 'Remove one dead task for good',
        tags: ['queues'],
        params: deadParams,
        responses: { 200: purged, 404: errorJson },
      },
      handler: async (ctx) => {
        const p = parseParams(deadParams, ctx);
        const { count } = await gw.purgeDeadTask(callerOf(ctx), p.name, p.id);
        return { body: { queue: p.name, purged: count } };
      },
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
