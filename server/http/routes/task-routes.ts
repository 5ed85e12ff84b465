import { z } from 'zod';
import { TASK_STATES, taskIdSchema, taskSpecSchema, nameSchema } from '../../../protocol/index.js';
import type { TaskRecord } from '../../core/index.js';
import type { Hub } from '../../hub/hub.js';
import { toTaskJson } from '../../hub/task-view.js';
import { badRequest, notFound } from '../http-error.js';
import { assertQueueAllowed, executeDurably, submitTasks } from '../hub-calls.js';
import type { Route } from '../router.js';
import { parseBody } from '../validate.js';

const submitManyBody = z.strictObject({ tasks: z.array(taskSpecSchema).min(1).max(10_000) });

const listQuery = z.strictObject({
  queue: nameSchema.optional(),
  state: z.enum(TASK_STATES as [string, ...string[]]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(512).optional(),
});

const cancelBody = z.strictObject({ reason: z.string().max(1024).optional() }).optional();

interface Cursor {
  c: number;
  id: string;
}

function encodeCursor(task: TaskRecord): string {
  return Buffer.from(JSON.stringify({ c: task.createdAt, id: task.id })).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString()) as Cursor;
    if (typeof v.c === 'number' && typeof v.id === 'string') return v;
  } catch {
    // fall through
  }
  throw badRequest('cursor is not one this API returned; pass nextCursor from the previous page');
}

function getTask(hub: Hub, id: string): TaskRecord {
  const task = hub.core.tasks.get(id);
  if (!task) throw notFound(`no task ${id} (never existed, or its result was evicted)`);
  return task;
}

/** /api/v1/tasks: submit, get, list with cursor pagination, cancel, retry. */
export function taskRoutes(hub: Hub): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/tasks',
      auth: ['producer'],
      handler: async ({ body, grant }) => {
        // Two shapes: one task spec, or { tasks: [...] }. Pick by shape so errors name fields.
        const many = typeof body === 'object' && body !== null && 'tasks' in body;
        const specs = many
          ? parseBody(submitManyBody, body).tasks
          : [parseBody(taskSpecSchema, body)];
        const { taskIds, duplicates } = await submitTasks(hub, grant, specs);
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
      handler: ({ query, grant }) => {
        const q = parseBody(listQuery, Object.fromEntries(query), 'query');
        if (q.queue) assertQueueAllowed(grant, q.queue);
        const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
        // Tasks sit in the map in creation order; the cursor is (createdAt, id) of the last
        // row served. Cost is a scan: this is an operator API, not a hot path.
        let passed = cursor === undefined;
        const items: TaskRecord[] = [];
        let more = false;
        for (const task of hub.core.tasks.values()) {
          if (!passed) {
            if (task.id === cursor!.id) passed = true;
            else if (task.createdAt > cursor!.c) passed = true;
            else continue;
            if (task.id === cursor!.id) continue;
          }
          if (q.queue && task.queue !== q.queue) continue;
          if (q.state && task.state !== q.state) continue;
          if (
            grant?.queues &&
            !grant.queues.some(
              (g) => g === task.queue || (g.endsWith('*') && task.queue.startsWith(g.slice(0, -1))),
            )
          )
            continue;
          if (items.length === q.limit) {
            more = true;
            break;
          }
          items.push(task);
        }
        return {
          body: {
            tasks: items.map((t) => toTaskJson(t)),
            nextCursor: more && items.length ? encodeCursor(items[items.length - 1]!) : null,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/tasks/:id',
      auth: ['producer'],
      handler: ({ params, grant }) => {
        const task = getTask(hub, parseBody(taskIdSchema, params.id, 'task id'));
        assertQueueAllowed(grant, task.queue);
        return { body: toTaskJson(task) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/tasks/:id/cancel',
      auth: ['producer'],
      handler: async ({ params, body, grant }) => {
        const task = getTask(hub, params.id!);
        assertQueueAllowed(grant, task.queue);
        const b = parseBody(cancelBody, body);
        await executeDurably(hub, {
          type: 'task.cancel',
          now: hub.now(),
          taskId: task.id,
          ...(b?.reason ? { reason: b.reason } : {}),
        });
        return { body: toTaskJson(task) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/tasks/:id/retry',
      auth: ['admin'],
      handler: async ({ params, grant }) => {
        const task = getTask(hub, params.id!);
        assertQueueAllowed(grant, task.queue);
        await executeDurably(hub, { type: 'task.retry', now: hub.now(), taskId: task.id });
        return { body: toTaskJson(task) };
      },
    },
  ];
}
