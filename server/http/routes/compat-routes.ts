import { z } from 'zod';
import { nameSchema, taskErrorSchema, taskIdSchema, valueSchema } from '../../../protocol/index.js';
import type { Hub } from '../../hub/hub.js';
import { toTaskJson, toWorkerJson } from '../../hub/task-view.js';
import { workerAccessDenied } from '../../gateway/worker-access.js';
import type { Grant } from '../../auth/index.js';
import { HttpError, statusForCode } from '../http-error.js';
import { assertQueueAllowed, executeDurably } from '../hub-calls.js';
import type { Route } from '../router.js';
import { parseBody } from '../validate.js';
import { toQueueJson } from './queue-routes.js';

const registerBody = z.strictObject({
  workerId: nameSchema.optional(),
  name: z.string().max(128).optional(),
  queues: z.array(nameSchema).min(1).max(64),
  capabilities: z.array(nameSchema).max(64).optional(),
  concurrency: z.number().int().min(1).max(10_000).optional(),
});
const workerRef = z.strictObject({ workerId: nameSchema });
const assignBody = z.strictObject({
  workerId: nameSchema,
  /** How many tasks to lease at most (bounded by the worker's free slots). */
  max: z.number().int().min(1).max(1000).optional(),
});
const completeBody = z.strictObject({
  workerId: nameSchema,
  taskId: taskIdSchema,
  attempt: z.number().int().min(1),
  result: valueSchema.optional(),
});
const failBody = z.strictObject({
  workerId: nameSchema,
  taskId: taskIdSchema,
  attempt: z.number().int().min(1),
  error: taskErrorSchema,
});

/**
 * The HTTP paths of the Cortex coordination daemon this hub replaces, so its scripts and
 * HTTP-only workers (which cannot hold a WebSocket) keep working. An HTTP worker registers,
 * polls /api/tasks/assign (which is also its heartbeat), and completes or fails by attempt.
 * Its leases expire after `httpLeaseTimeoutMs` without a call, and the tasks are requeued.
 */
export function compatRoutes(hub: Hub): Route[] {
  /** The caller may act as this worker (itself, on its token's queues), or the call fails. */
  const asWorker = (grant: Grant | undefined, workerId: string, goneIsFine = false): void => {
    const worker = hub.core.workers.get(workerId);
    // A late complete/fail from a worker the hub already dropped holds no lease: the core
    // answers LEASE_NOT_HELD, as it does for any stale attempt.
    if (!worker && goneIsFine) return;
    const denied = workerAccessDenied(grant!, workerId, worker);
    if (denied) throw new HttpError(statusForCode(denied.code), denied.code, denied.message);
  };
  const summary = () => {
    const queues = [...hub.core.queues.values()].map((q) => toQueueJson(hub, q));
    const counts: Record<string, number> = {};
    for (const t of hub.core.tasks.values()) counts[t.state] = (counts[t.state] ?? 0) + 1;
    return { queues, counts };
  };
  return [
    {
      method: 'GET',
      path: '/api/state',
      auth: ['admin'],
      handler: () => {
        const { queues, counts } = summary();
        return {
          body: {
            status: hub.phase,
            uptimeSeconds: Math.round((Date.now() - hub.startedAt) / 1000),
            workers: [...hub.core.workers.values()].map(toWorkerJson),
            queues,
            tasks: counts,
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/metrics',
      auth: ['admin'],
      handler: () => {
        const { queues, counts } = summary();
        let connected = 0;
        let busy = 0;
        for (const w of hub.core.workers.values()) {
          if (w.state !== 'disconnected') connected++;
          if (w.running.size > 0) busy++;
        }
        return {
          body: {
            uptimeSeconds: Math.round((Date.now() - hub.startedAt) / 1000),
            connections: hub.connections,
            workers: { total: hub.core.workers.size, connected, busy },
            tasks: counts,
            queues: Object.fromEntries(
              queues.map((q) => [
                q.name,
                { queued: q.queued, delayed: q.delayed, leased: q.leased, dead: q.dead },
              ]),
            ),
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/api/workers/register',
      auth: ['worker'],
      handler: ({ body, grant }) => {
        const b = parseBody(registerBody, body);
        for (const q of b.queues) assertQueueAllowed(grant, q);
        const workerId = b.workerId ?? `http-${hub.ids.next()}`;
        const { result } = hub.execute({
          type: 'worker.register',
          now: hub.now(),
          workerId,
          kind: 'pull',
          owner: grant!.identity,
          ...(b.name ? { name: b.name } : {}),
          queues: b.queues,
          capabilities: b.capabilities ?? [],
          concurrency: b.concurrency ?? 1,
        });
        if (!result.ok)
          throw new HttpError(statusForCode(result.code), result.code, result.message);
        const worker = hub.core.workers.get(workerId)!;
        return {
          status: 201,
          body: { worker: toWorkerJson(worker), leaseTimeoutMs: worker.heartbeatTimeoutMs },
        };
      },
    },
    {
      method: 'POST',
      path: '/api/workers/unregister',
      auth: ['worker'],
      handler: ({ body, grant }) => {
        const b = parseBody(workerRef, body);
        asWorker(grant, b.workerId);
        const { result } = hub.execute({
          type: 'worker.unregister',
          now: hub.now(),
          workerId: b.workerId,
        });
        if (!result.ok)
          throw new HttpError(statusForCode(result.code), result.code, result.message);
        return { body: { workerId: b.workerId, unregistered: true } };
      },
    },
    {
      method: 'POST',
      path: '/api/workers/heartbeat',
      auth: ['worker'],
      handler: ({ body, grant }) => {
        const b = parseBody(workerRef, body);
        asWorker(grant, b.workerId);
        const { result } = hub.execute({
          type: 'worker.heartbeat',
          now: hub.now(),
          workerId: b.workerId,
        });
        if (!result.ok)
          throw new HttpError(statusForCode(result.code), result.code, result.message);
        return { body: { workerId: b.workerId, ok: true } };
      },
    },
    {
      method: 'POST',
      path: '/api/tasks/assign',
      auth: ['worker'],
      handler: async ({ body, grant }) => {
        const b = parseBody(assignBody, body);
        asWorker(grant, b.workerId);
        const result = await executeDurably(hub, {
          type: 'worker.pull',
          now: hub.now(),
          workerId: b.workerId,
          max: b.max ?? 1,
        });
        return { body: { tasks: (result.leased ?? []).map((t) => toTaskJson(t)) } };
      },
    },
    {
      method: 'POST',
      path: '/api/tasks/complete',
      auth: ['worker'],
      handler: async ({ body, grant }) => {
        const b = parseBody(completeBody, body);
        asWorker(grant, b.workerId, true);
        // Held before the command: a finished task may be evicted by the command itself.
        const task = hub.core.tasks.get(b.taskId);
        await executeDurably(hub, {
          type: 'task.complete',
          now: hub.now(),
          workerId: b.workerId,
          taskId: b.taskId,
          attempt: b.attempt,
          result: b.result,
        });
        return { body: toTaskJson(task!, false) };
      },
    },
    {
      method: 'POST',
      path: '/api/tasks/fail',
      auth: ['worker'],
      handler: async ({ body, grant }) => {
        const b = parseBody(failBody, body);
        asWorker(grant, b.workerId, true);
        const task = hub.core.tasks.get(b.taskId);
        await executeDurably(hub, {
          type: 'task.fail',
          now: hub.now(),
          workerId: b.workerId,
          taskId: b.taskId,
          attempt: b.attempt,
          error: {
            code: b.error.code ?? 'HANDLER_ERROR',
            message: b.error.message,
            ...(b.error.details === undefined ? {} : { details: b.error.details }),
          },
          retryable: b.error.retryable ?? true,
        });
        return { body: toTaskJson(task!, false) };
      },
    },
  ];
}
