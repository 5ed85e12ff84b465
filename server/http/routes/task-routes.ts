import { randomBytes } from 'node:crypto';
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

/**
 * Where a page ended, self-contained: the last row's creation number (`ord`, within the hub
 * process `r`), its createdAt and id. It never depends on that row still existing: a page
 * may end on a task that is purged or evicted before the next page is asked for.
 */
interface Cursor {
  r?: string;
  o?: number;
  c: number;
  id: string;
}

function encodeCursor(run: string, task: TaskRecord): string {
  const cursor: Cursor = { r: run, o: task.ord, c: task.createdAt, id: task.id };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString()) as Cursor;
    if (
      typeof v.c === 'number' &&
      typeof v.id === 'string' &&
      (v.o === undefined || Number.isSafeInteger(v.o)) &&
      (v.r === undefined || typeof v.r === 'string')
    )
      return v;
  } catch {
    // fall through
  }
  throw badRequest('cursor is not one this API returned; pass nextCursor from the previous page');
}

/**
 * The `ord` after which the next page starts. Ords are numbered afresh by each hub process,
 * so a cursor from before a restart is placed by its task if that still exists, else by
 * createdAt: the page then starts at the first task created in the same millisecond, which
 * may repeat a row or two but never skips one.
 */
function resumeAfter(hub: Hub, run: string, cursor: Cursor): (task: TaskRecord) => boolean {
  if (cursor.r === run && cursor.o !== undefined) {
    const o = cursor.o;
    return (task) => task.ord > o;
  }
  const same = hub.core.tasks.get(cursor.id);
  if (same) {
    const o = same.ord;
    return (task) => task.ord > o;
  }
  return (task) => task.createdAt >= cursor.c;
}

function getTask(hub: Hub, id: string): TaskRecord {
  const task = hub.core.tasks.get(id);
  if (!task) throw notFound(`no task ${id} (never existed, or its result was evicted)`);
  return task;
}

/** /api/v1/tasks: submit, get, list with cursor pagination, cancel, retry. */
export function taskRoutes(hub: Hub): Route[] {
  /** Names this hub process in its cursors: `ord` numbers mean nothing to another one. */
  const run = randomBytes(6).toString('base64url');
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
        const after = q.cursor ? resumeAfter(hub, run, decodeCursor(q.cursor)) : undefined;
        // Tasks are iterated in creation order (`ord`); the cursor says where the last page
        // ended. Cost is a scan: this is an operator API, not a hot path.
        let passed = after === undefined;
        const items: TaskRecord[] = [];
        let more = false;
        for (const task of hub.core.tasks.values()) {
          if (!passed) {
            if (!after!(task)) continue;
            passed = true;
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
            nextCursor: more && items.length ? encodeCursor(run, items[items.length - 1]!) : null,
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
