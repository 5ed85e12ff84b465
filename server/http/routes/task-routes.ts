import { z } from 'zod';
import { TASK_STATES, taskIdSchema, taskSpecSchema, nameSchema } from '../../../protocol/index.js';
import type { Hub } from '../../hub/hub.js';
import { toTaskJson } from '../../hub/task-view.js';
import { callerOf, type Route } from '../router.js';
import { parseBody } from '../validate.js';

const submitManyBody = z.strictObject({ tasks: z.array(taskSpecSchema).min(1).max(10_000) });

const listQuery = z.strictObject({
  queue: nameSchema.optional(),
  state: z.enum(TASK_STATES as [string, ...string[]]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(512).optional(),
});

const cancelBody = z.strictObject({ reason: z.string().max(1024).optional() }).optional();

/** /api/v1/tasks: submit, get, list with cursor pagination, cancel, retry. */
export function taskRoutes(hub: Hub): Route[] {
  const gw = hub.gateway;
  return [
    {
      method: 'POST',
      path: '/api/v1/tasks',
      auth: ['producer'],
      handler: async (ctx) => {
        const { body } = ctx;
        // Two shapes: one task spec, or { tasks: [...] }. Pick by shape so errors name fields.
        const many = typeof body === 'object' && body !== null && 'tasks' in body;
        const specs = many
          ? parseBody(submitManyBody, body).tasks
          : [parseBody(taskSpecSchema, body)];
        const { taskIds, duplicates } = await gw.submit(callerOf(ctx), specs);
        if (many) return { status: 201, body: { taskIds, duplicates } };
        return {
          status: duplicates.length ? 200 : 201,
          body: { id: taskIds[0], duplicate: duplicates.length > 0 },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/tasks',
      auth: ['producer'],
      handler: (ctx) => {
        const q = parseBody(listQuery, Object.fromEntries(ctx.query), 'query');
        const page = gw.listTasks(callerOf(ctx), {
          limit: q.limit,
          ...(q.queue === undefined ? {} : { queue: q.queue }),
          ...(q.state === undefined ? {} : { state: q.state }),
          ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        });
        return {
          body: { tasks: page.tasks.map((t) => toTaskJson(t)), nextCursor: page.nextCursor },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/tasks/:id',
      auth: ['producer'],
      handler: (ctx) => {
        const id = parseBody(taskIdSchema, ctx.params.id, 'task id');
        return { body: toTaskJson(gw.task(callerOf(ctx), id)) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/tasks/:id/cancel',
      auth: ['producer'],
      handler: async (ctx) => {
        const id = parseBody(taskIdSchema, ctx.params.id, 'task id');
        const b = parseBody(cancelBody, ctx.body);
        const task = await gw.cancel(callerOf(ctx), id, b?.reason || undefined);
        return { body: toTaskJson(task) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/tasks/:id/retry',
      auth: ['admin'],
      handler: async (ctx) => {
        const id = parseBody(taskIdSchema, ctx.params.id, 'task id');
        return { body: toTaskJson(await gw.retry(callerOf(ctx), id)) };
      },
    },
  ];
}
