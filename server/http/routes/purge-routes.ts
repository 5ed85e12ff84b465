import { z } from 'zod';
import {
  bodyTimeSchema,
  errorCodeFilterSchema,
  nameSchema,
  whereSchema,
} from '../../../protocol/index.js';
import { MAX_BULK_TASKS } from '../../core/index.js';
import { PURGEABLE_STATES, type PurgeFilter } from '../../gateway/task-purge.js';
import type { Hub } from '../../hub/hub.js';
import { callerOf, type Route } from '../router.js';
import { parseParams } from '../route-input.js';
import { parseBody } from '../validate.js';
import { errorJson } from '../schemas/error-json.js';

const queueParams = z.strictObject({ name: nameSchema });
const purgeBody = z.strictObject({
  state: z
    .enum(PURGEABLE_STATES)
    .describe('the finished state purged; unfinished tasks are cancelled first'),
  errorCode: errorCodeFilterSchema.optional(),
  since: bodyTimeSchema.optional().describe('created at or after'),
  until: bodyTimeSchema.optional().describe('created before'),
  finishedSince: bodyTimeSchema.optional().describe('finished at or after'),
  finishedUntil: bodyTimeSchema.optional().describe('finished before'),
  where: whereSchema.optional(),
  limit: z.number().int().min(1).max(MAX_BULK_TASKS).default(1000),
});
const purgeDone = z.object({
  queue: z.string(),
  count: z.number().int().min(0).describe('tasks removed'),
  more: z.boolean().describe('matching tasks remain past `limit`: call again'),
});

function filterOf(b: z.output<typeof purgeBody>): PurgeFilter {
  const f: PurgeFilter = { state: b.state };
  if (b.errorCode !== undefined) f.errorCode = b.errorCode;
  if (b.since !== undefined) f.createdSince = b.since;
  if (b.until !== undefined) f.createdUntil = b.until;
  if (b.finishedSince !== undefined) f.finishedSince = b.finishedSince;
  if (b.finishedUntil !== undefined) f.finishedUntil = b.finishedUntil;
  if (b.where !== undefined) f.where = b.where;
  return f;
}

/** POST /api/v1/queues/:name/purge: a queue's finished tasks in one state, by filter. */
export function purgeRoutes(hub: Hub): Route[] {
  const gw = hub.gateway;
  return [
    {
      method: 'POST',
      path: '/api/v1/queues/:name/purge',
      auth: ['admin'],
      doc: {
        summary: "Remove a queue's finished tasks in one state matching a filter, oldest first",
        description:
          'For good: the tasks and their results are gone, as if evicted. At most `limit` per call; `more` says to call again. See docs/dead-letters.md.',
        tags: ['queues'],
        params: queueParams,
        body: purgeBody,
        responses: { 200: purgeDone, 400: errorJson, 404: errorJson },
      },
      handler: async (ctx) => {
        const queue = parseParams(queueParams, ctx).name;
        const b = parseBody(purgeBody, ctx.body ?? {});
        const out = await gw.purge.purge(callerOf(ctx), queue, filterOf(b), b.limit);
        return { body: { queue, ...out } };
      },
    },
  ];
}
