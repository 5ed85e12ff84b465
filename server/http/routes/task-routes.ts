import { z } from 'zod';
import {
  TASK_STATES,
  errorCodeFilterSchema,
  nameSchema,
  queryTimeSchema,
  taskIdSchema,
  taskSpecSchema,
  whereSchema,
  type TaskStateName,
} from '../../../protocol/index.js';
import type { Hub } from '../../hub/hub.js';
import { toTaskJson } from '../../hub/task-view.js';
import { callerOf, type Route } from '../router.js';
import { parseParams, parseQuery } from '../route-input.js';
import { errorJson } from '../schemas/error-json.js';
import { taskJson } from '../schemas/task-json.js';
import { parseBody } from '../validate.js';

const taskSpec = taskSpecSchema.meta({
  id: 'TaskSpec',
  description:
    'A task to submit; every field but `queue` is optional (docs/protocol.md, task spec).',
});
const submitManyBody = z.strictObject({ tasks: z.array(taskSpec).min(1).max(10_000) });
const submitBody = z.union([taskSpec, submitManyBody]);
const submitted = z.object({
  id: z.string(),
  duplicate: z.boolean().describe('true: the idempotency key named a task that exists'),
});
const submittedMany = z.object({
  taskIds: z.array(z.string()).describe('in the order of `tasks`'),
  duplicates: z.array(z.string()).describe('ids that existed already (idempotency keys)'),
});

const listQuery = z.strictObject({
  queue: nameSchema.optional(),
  state: z.enum(TASK_STATES as [TaskStateName, ...TaskStateName[]]).optional(),
  since: queryTimeSchema.optional().describe('created at or after'),
  until: queryTimeSchema.optional().describe('created before'),
  finishedSince: queryTimeSchema.optional(),
  finishedUntil: queryTimeSchema.optional(),
  errorCode: errorCodeFilterSchema.optional(),
  where: whereSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(512).optional(),
});
const taskPage = z.object({
  tasks: z.array(taskJson),
  nextCursor: z
    .string()
    .nullable()
    .describe('pass as `cursor` for the next page; null on the last'),
});

const taskParams = z.strictObject({ id: taskIdSchema });
const cancelBody = z.strictObject({ reason: z.string().max(1024).optional() }).optional();

/** /api/v1/tasks: submit, get, list with cursor pagination, cancel, retry. */
export function taskRoutes(hub: Hub): Route[] {
  const gw = hub.gateway;
  return [
    {
      method: 'POST',
      path: '/api/v1/tasks',
      auth: ['producer'],
      doc: {
        summary: 'Submit one task (a task spec) or many (`{"tasks": [...]}`)',
        description: 'Answered once the task is durable.',
        tags: ['tasks'],
        body: submitBody,
        responses: {
          201: z.union([submitted, submittedMany]),
          200: submitted.describe('one task whose idempotency key named a task that exists'),
        },
      },
      handler: async (ctx) => {
        const { body } = ctx;
        // Two shapes: one task spec, or { tasks: [...] }. Pick by shape so errors name fields.
        const many = typeof body === 'object' && body !== null && 'tasks' in body;
        const specs = many ? parseBody(submitManyBody, body).tasks : [parseBody(taskSpec, body)];
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
      doc: {
        summary: 'List tasks, oldest first, a page at a time',
        tags: ['tasks'],
        query: listQuery,
        responses: { 200: taskPage },
      },
      handler: (ctx) => {
        const q = parseQuery(listQuery, ctx);
        const page = gw.listTasks(callerOf(ctx), {
          limit: q.limit,
          ...(q.queue === undefined ? {} : { queue: q.queue }),
          ...(q.state === undefined ? {} : { state: q.state }),
          ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
          ...(q.since === undefined ? {} : { createdSince: q.since }),
          ...(q.until === undefined ? {} : { createdUntil: q.until }),
          ...(q.finishedSince === undefined ? {} : { finishedSince: q.finishedSince }),
          ...(q.finishedUntil === undefined ? {} : { finishedUntil: q.finishedUntil }),
          ...(q.errorCode === undefined ? {} : { errorCode: q.errorCode }),
          ...(q.where === undefined ? {} : { where: q.where }),
        });
        return {
          body: {
            tasks: page.tasks.map((t) => toTaskJson(t, true, gw.flows.links(t.id))),
            nextCursor: page.nextCursor,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/tasks/:id',
      auth: ['producer'],
      doc: {
        summary: 'One task, with its result or error',
        tags: ['tasks'],
        params: taskParams,
        responses: { 200: taskJson, 404: errorJson },
      },
      handler: (ctx) => {
        const { id } = parseParams(taskParams, ctx);
        return { body: toTaskJson(gw.task(callerOf(ctx), id), true, gw.flows.links(id)) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/tasks/:id/cancel',
      auth: ['producer'],
      doc: {
        summary: 'Cancel a task that has not finished (its worker is told)',
        tags: ['tasks'],
        params: taskParams,
        body: cancelBody,
        responses: { 200: taskJson, 404: errorJson, 409: errorJson },
      },
      handler: async (ctx) => {
        const { id } = parseParams(taskParams, ctx);
        const b = parseBody(cancelBody, ctx.body);
        const task = await gw.cancel(callerOf(ctx), id, b?.reason || undefined);
        return { body: toTaskJson(task) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/tasks/:id/retry',
      auth: ['admin'],
      doc: {
        summary: 'Requeue a dead task, its attempts reset',
        tags: ['tasks'],
        params: taskParams,
        responses: { 200: taskJson, 404: errorJson, 409: errorJson },
      },
      handler: async (ctx) => {
        const { id } = parseParams(taskParams, ctx);
        return { body: toTaskJson(await gw.retry(callerOf(ctx), id)) };
      },
    },
  ];
}
