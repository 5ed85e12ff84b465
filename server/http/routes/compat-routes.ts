import { z } from 'zod';
import { nameSchema, taskErrorSchema, taskIdSchema, valueSchema } from '../../../protocol/index.js';
import type { Hub } from '../../hub/hub.js';
import { toTaskJson, toWorkerJson } from '../../hub/task-view.js';
import { callerOf, type RequestContext, type Route } from '../router.js';
import { errorJson } from '../schemas/error-json.js';
import { queueJson } from '../schemas/queue-json.js';
import { finishedTaskJson, taskJson } from '../schemas/task-json.js';
import { workerJson } from '../schemas/worker-json.js';
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

const count = z.number().int().min(0);
const taskCounts = z.record(z.string(), count).describe('retained tasks by state');
const uptimeSeconds = z.number().int().min(0);
const state = z.object({
  status: z.string().describe('the hub phase'),
  uptimeSeconds,
  workers: z.array(workerJson),
  queues: z.array(queueJson),
  tasks: taskCounts,
});
const metrics = z.object({
  uptimeSeconds,
  connections: count,
  workers: z.object({ total: count, connected: count, busy: count }),
  tasks: taskCounts,
  queues: z.record(
    z.string(),
    z.object({ queued: count, delayed: count, leased: count, dead: count }),
  ),
});
const registered = z.object({
  worker: workerJson,
  leaseTimeoutMs: z
    .number()
    .int()
    .describe('its leases expire after this long without a call from it'),
});
const unregistered = z.object({ workerId: z.string(), unregistered: z.literal(true) });
const heartbeat = z.object({ workerId: z.string(), ok: z.literal(true) });
const leased = z.object({ tasks: z.array(taskJson).describe('empty when nothing is runnable') });
const TAGS = ['compat'];

/**
 * The HTTP paths of the Cortex coordination daemon this hub replaces, so its scripts and
 * HTTP-only workers (which cannot hold a WebSocket) keep working. An HTTP worker registers,
 * polls /api/tasks/assign (which is also its heartbeat), and completes or fails by attempt.
 * Its leases expire after `httpLeaseTimeoutMs` without a call, and the tasks are requeued.
 */
export function compatRoutes(hub: Hub): Route[] {
  const gw = hub.gateway;
  const summary = (ctx: RequestContext) => {
    const caller = callerOf(ctx);
    const queues = gw.queues(caller).map((q) => toQueueJson(q, gw.queueWorkers(caller, q.name)));
    return { queues, counts: gw.taskCounts(caller), workers: gw.workers(caller) };
  };
  return [
    {
      method: 'GET',
      path: '/api/state',
      auth: ['admin'],
      doc: {
        summary: 'Hub state: workers, queues, task counts (Cortex path)',
        tags: TAGS,
        responses: { 200: state },
      },
      handler: (ctx) => {
        const { queues, counts, workers } = summary(ctx);
        return {
          body: {
            status: hub.phase,
            uptimeSeconds: Math.round((Date.now() - hub.startedAt) / 1000),
            workers: workers.map(toWorkerJson),
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
      doc: {
        summary: 'Counts of workers, tasks and queues as JSON (Cortex path)',
        tags: TAGS,
        responses: { 200: metrics },
      },
      handler: (ctx) => {
        const { queues, counts, workers } = summary(ctx);
        let connected = 0;
        let busy = 0;
        for (const w of workers) {
          if (w.state !== 'disconnected') connected++;
          if (w.running.size > 0) busy++;
        }
        return {
          body: {
            uptimeSeconds: Math.round((Date.now() - hub.startedAt) / 1000),
            connections: hub.connections,
            workers: { total: workers.length, connected, busy },
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
      doc: {
        summary: 'Register an HTTP worker, which then polls /api/tasks/assign',
        tags: TAGS,
        body: registerBody,
        responses: { 201: registered, 409: errorJson },
      },
      handler: (ctx) => {
        const b = parseBody(registerBody, ctx.body);
        const { worker } = gw.register(callerOf(ctx), {
          kind: 'pull',
          queues: b.queues,
          ...(b.workerId === undefined ? {} : { workerId: b.workerId }),
          ...(b.name ? { name: b.name } : {}),
          ...(b.capabilities === undefined ? {} : { capabilities: b.capabilities }),
          ...(b.concurrency === undefined ? {} : { concurrency: b.concurrency }),
        });
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
      doc: {
        summary: 'Remove an HTTP worker; its leases are requeued',
        tags: TAGS,
        body: workerRef,
        responses: { 200: unregistered, 404: errorJson },
      },
      handler: (ctx) => {
        const b = parseBody(workerRef, ctx.body);
        gw.unregister(callerOf(ctx), b.workerId);
        return { body: { workerId: b.workerId, unregistered: true } };
      },
    },
    {
      method: 'POST',
      path: '/api/workers/heartbeat',
      auth: ['worker'],
      doc: {
        summary: 'Keep an HTTP worker and its leases alive',
        tags: TAGS,
        body: workerRef,
        responses: { 200: heartbeat, 404: errorJson },
      },
      handler: (ctx) => {
        const b = parseBody(workerRef, ctx.body);
        gw.heartbeat(callerOf(ctx), b.workerId);
        return { body: { workerId: b.workerId, ok: true } };
      },
    },
    {
      method: 'POST',
      path: '/api/tasks/assign',
      auth: ['worker'],
      doc: {
        summary: 'Lease up to `max` tasks to an HTTP worker (also its heartbeat)',
        tags: TAGS,
        body: assignBody,
        responses: { 200: leased, 404: errorJson },
      },
      handler: async (ctx) => {
        const b = parseBody(assignBody, ctx.body);
        const leased = await gw.pull(callerOf(ctx), b.workerId, b.max ?? 1);
        return { body: { tasks: leased.map((t) => toTaskJson(t, true, gw.flows.links(t.id))) } };
      },
    },
    {
      method: 'POST',
      path: '/api/tasks/complete',
      auth: ['worker'],
      doc: {
        summary: 'Complete a leased task by its attempt',
        tags: TAGS,
        body: completeBody,
        responses: { 200: finishedTaskJson, 404: errorJson, 409: errorJson },
      },
      handler: async (ctx) => {
        const b = parseBody(completeBody, ctx.body);
        const task = await gw.complete(callerOf(ctx), b);
        return { body: toTaskJson(task!, false) };
      },
    },
    {
      method: 'POST',
      path: '/api/tasks/fail',
      auth: ['worker'],
      doc: {
        summary: 'Fail a leased task by its attempt (retried, or dead after its last attempt)',
        tags: TAGS,
        body: failBody,
        responses: { 200: finishedTaskJson, 404: errorJson, 409: errorJson },
      },
      handler: async (ctx) => {
        const b = parseBody(failBody, ctx.body);
        const task = await gw.fail(callerOf(ctx), b);
        return { body: toTaskJson(task!, false) };
      },
    },
  ];
}
