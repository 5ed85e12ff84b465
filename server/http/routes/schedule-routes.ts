import { z } from 'zod';
import { nameSchema } from '../../../protocol/index.js';
import type { Hub } from '../../hub/hub.js';
import { callerOf, type RequestContext, type Route } from '../router.js';
import { parseParams } from '../route-input.js';
import { errorJson } from '../schemas/error-json.js';
import { scheduleBody, scheduleJson, toScheduleJson } from '../schemas/schedule-json.js';
import { parseBody } from '../validate.js';

const scheduleParams = z.strictObject({ name: nameSchema });
const scheduleList = z.object({ schedules: z.array(scheduleJson) });

/** /api/v1/schedules: create, list, read, pause, resume, remove (docs/schedules.md). */
export function scheduleRoutes(hub: Hub): Route[] {
  const ops = hub.gateway.schedules;
  const name = (ctx: RequestContext): string => parseParams(scheduleParams, ctx).name;
  const one = (params: boolean, summary: string, description?: string) => ({
    summary,
    ...(description ? { description } : {}),
    tags: ['schedules'],
    ...(params ? { params: scheduleParams } : {}),
    responses: { 200: scheduleJson, 403: errorJson, 404: errorJson },
  });
  return [
    {
      method: 'POST',
      path: '/api/v1/schedules',
      auth: ['producer'],
      doc: {
        summary: 'Create a schedule: a cron expression or an interval, and the task it makes',
        description:
          'Answered once the schedule is durable. A bad cron expression or zone is a 400 naming the field; a name in use is 409 SCHEDULE_EXISTS.',
        tags: ['schedules'],
        body: scheduleBody,
        responses: { 201: scheduleJson, 400: errorJson, 403: errorJson, 409: errorJson },
      },
      handler: async (ctx) => {
        const spec = parseBody(scheduleBody, ctx.body);
        const r = await ops.create(callerOf(ctx), spec);
        return { status: 201, body: toScheduleJson(r) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/schedules',
      auth: ['producer'],
      doc: {
        summary: 'Every schedule of the queues the token allows, by name',
        tags: ['schedules'],
        responses: { 200: scheduleList },
      },
      handler: (ctx) => ({
        body: {
          schedules: ops
            .list(callerOf(ctx))
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
            .map(toScheduleJson),
        },
      }),
    },
    {
      method: 'GET',
      path: '/api/v1/schedules/:name',
      auth: ['producer'],
      doc: one(true, 'One schedule: its next occurrence, its last fire and the task it made'),
      handler: (ctx) => ({ body: toScheduleJson(ops.get(callerOf(ctx), name(ctx))) }),
    },
    {
      method: 'POST',
      path: '/api/v1/schedules/:name/pause',
      auth: ['producer'],
      doc: one(true, 'Stop a schedule firing (until resumed)'),
      handler: async (ctx) => ({
        body: toScheduleJson(await ops.pause(callerOf(ctx), name(ctx))),
      }),
    },
    {
      method: 'POST',
      path: '/api/v1/schedules/:name/resume',
      auth: ['producer'],
      doc: one(
        true,
        'Let a paused schedule fire again',
        'The next fire is the first occurrence after the resume; occurrences while paused are not made up.',
      ),
      handler: async (ctx) => ({
        body: toScheduleJson(await ops.resume(callerOf(ctx), name(ctx))),
      }),
    },
    {
      method: 'DELETE',
      path: '/api/v1/schedules/:name',
      auth: ['producer'],
      doc: one(
        true,
        'Remove a schedule (the tasks it made stay)',
        'Answers the schedule as it was.',
      ),
      handler: async (ctx) => ({
        body: toScheduleJson(await ops.remove(callerOf(ctx), name(ctx))),
      }),
    },
  ];
}
