import { z } from 'zod';
import { nameSchema, taskIdSchema, valueSchema } from '../../../protocol/index.js';
import type { HubEvent } from '../../core/index.js';
import type { Hub } from '../../hub/hub.js';
import { toResultFrame, toTaskJson } from '../../hub/task-view.js';
import { waitForHub } from '../hub-event-wait.js';
import { callerOf, type Route } from '../router.js';
import { parseParams } from '../route-input.js';
import { errorJson } from '../schemas/error-json.js';
import { taskJson } from '../schemas/task-json.js';
import { parseBody } from '../validate.js';

/**
 * The longest a long-poll is held. Below the default HTTP lease timeout (30 s) and the idle
 * timeouts of common proxies (60 s), so neither ends a poll that is only waiting.
 */
export const MAX_WAIT_MS = 25_000;
const waitMs = z
  .number()
  .int()
  .min(0)
  .max(MAX_WAIT_MS)
  .default(0)
  .describe(`hold the request up to this long (ms, at most ${MAX_WAIT_MS}) until there is news`);

const pullBody = z.strictObject({
  workerId: nameSchema,
  max: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(1)
    .describe("tasks to lease at most (bounded by the worker's free slots)"),
  waitMs,
});
const pulled = z.object({
  tasks: z.array(taskJson).describe('empty when nothing became runnable within `waitMs`'),
});

const taskParams = z.strictObject({ id: taskIdSchema });
const progressBody = z.strictObject({
  workerId: nameSchema,
  attempt: z.number().int().min(1),
  value: valueSchema,
});
const progressed = z.object({ taskId: z.string(), ok: z.literal(true) });

const waitBody = z.strictObject({
  taskIds: z.array(taskIdSchema).min(1).max(1000),
  waitMs,
  progress: z.boolean().default(false).describe('also answer with progress reported while waiting'),
});
const resultJson = z
  .object({
    taskId: z.string(),
    status: z.enum(['completed', 'dead', 'expired', 'cancelled']),
    result: z.unknown().optional(),
    error: z
      .object({ code: z.string(), message: z.string(), details: z.unknown().optional() })
      .optional(),
    attempts: z.number().int(),
  })
  .meta({ id: 'TaskResult', description: "A final task's outcome (the WebSocket result frame)" });
const waited = z.object({
  results: z.array(resultJson).describe('the tasks of `taskIds` that are final'),
  missing: z
    .array(z.string())
    .describe('ids this token cannot see: never existed, evicted, or of a queue it may not use'),
  progress: z
    .array(z.object({ taskId: z.string(), value: z.unknown() }))
    .describe('the latest progress per task reported while this request waited'),
});

/** Events after which a pull may find work: a task became runnable somewhere. */
const RUNNABLE: ReadonlySet<string> = new Set([
  'task.submitted',
  'task.requeued',
  'task.failed',
  'task.retried',
]);
const FINAL: ReadonlySet<string> = new Set([
  'task.completed',
  'task.dead',
  'task.expired',
  'task.cancelled',
  'task.evicted',
]);

/**
 * The HTTP paths a client uses when it cannot hold a WebSocket (a proxy that refuses
 * upgrades): a worker long-polls for tasks and reports progress; a producer long-polls
 * for its tasks' results and progress. An HTTP worker registers, completes and fails on
 * the compat paths (/api/workers/register, /api/tasks/complete, /api/tasks/fail).
 */
export function longPollRoutes(hub: Hub): Route[] {
  const gw = hub.gateway;
  return [
    {
      method: 'POST',
      path: '/api/v1/tasks/pull',
      auth: ['worker'],
      doc: {
        summary: 'Lease tasks to an HTTP worker, waiting up to `waitMs` for one',
        description:
          'A long-poll: answers as soon as a task is leased, or with none after `waitMs`. Each check while waiting is also the worker’s heartbeat.',
        tags: ['workers'],
        body: pullBody,
        responses: { 200: pulled, 404: errorJson },
      },
      handler: async (ctx) => {
        const b = parseBody(pullBody, ctx.body);
        const caller = callerOf(ctx);
        const tasks = await waitForHub(
          hub,
          ctx.res,
          b.waitMs,
          async () => {
            const leased = await gw.pull(caller, b.workerId, b.max);
            return leased.length ? leased : undefined;
          },
          (e) => RUNNABLE.has(e.type),
        );
        return {
          body: { tasks: (tasks ?? []).map((t) => toTaskJson(t, true, gw.flows.links(t.id))) },
        };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/tasks/:id/progress',
      auth: ['worker'],
      doc: {
        summary: "Report a leased task's progress (the producer sees it)",
        tags: ['workers'],
        params: taskParams,
        body: progressBody,
        // An unknown task, like a stale attempt, is a lease this worker does not hold: 409.
        responses: { 200: progressed, 409: errorJson },
      },
      handler: (ctx) => {
        const { id } = parseParams(taskParams, ctx);
        const b = parseBody(progressBody, ctx.body);
        gw.progress(callerOf(ctx), b.workerId, id, b.attempt, b.value);
        return { body: { taskId: id, ok: true } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/tasks/wait',
      auth: ['producer'],
      doc: {
        summary: 'Results (and progress) of tasks, waiting up to `waitMs` for one',
        description:
          'A long-poll: answers as soon as one of `taskIds` is final (or unknown), or progress came with `progress: true`; otherwise with empty lists after `waitMs`.',
        tags: ['tasks'],
        body: waitBody,
        responses: { 200: waited },
      },
      handler: async (ctx) => {
        const b = parseBody(waitBody, ctx.body);
        const caller = callerOf(ctx);
        const ids = new Set(b.taskIds);
        // Progress seen while waiting, latest per task (a later value replaces an earlier one).
        const progress = new Map<string, unknown>();
        const answer = await waitForHub(
          hub,
          ctx.res,
          b.waitMs,
          () => {
            const { finished, missing } = gw.watch(caller, b.taskIds, false);
            if (!finished.length && !missing.length && !progress.size) return undefined;
            return { results: finished.map(toResultJson), missing };
          },
          (e: HubEvent) => {
            const taskId = 'task' in e ? e.task.id : 'taskId' in e ? e.taskId : undefined;
            if (taskId === undefined || !ids.has(taskId)) return false;
            if (e.type === 'task.progress') {
              if (!b.progress) return false;
              progress.set(taskId, e.value);
              return true;
            }
            return FINAL.has(e.type);
          },
        );
        return {
          body: {
            results: answer?.results ?? [],
            missing: answer?.missing ?? [],
            progress: [...progress].map(([taskId, value]) => ({ taskId, value })),
          },
        };
      },
    },
  ];
}

function toResultJson(task: Parameters<typeof toResultFrame>[0]): z.infer<typeof resultJson> {
  const { t: _t, ...rest } = toResultFrame(task);
  return rest;
}
