import { z } from 'zod';
import {
  FLOW_POLICIES,
  flowChildSchema,
  flowSchema,
  taskIdSchema,
} from '../../../protocol/index.js';
import type { FlowView } from '../../gateway/flow-operations.js';
import type { Hub } from '../../hub/hub.js';
import { callerOf, type Route } from '../router.js';
import { parseParams } from '../route-input.js';
import { errorJson } from '../schemas/error-json.js';
import { parseBody } from '../validate.js';

const submitted = z.object({
  id: z.string().describe("the root's task id"),
  taskIds: z
    .array(z.string())
    .describe("every task's id in pre-order: each parent, then its children's subtrees in order"),
  duplicate: z
    .boolean()
    .describe("true: the root's idempotency key named a task that exists; nothing was created"),
});

interface FlowJson {
  id: string;
  name: string | null;
  queue: string;
  state: string;
  parentId: string | null;
  onChildFailure: string | null;
  result: unknown;
  error: { code: string; message: string; details?: unknown } | null;
  children: FlowJson[];
  evicted: z.infer<typeof flowChildSchema>[];
}

const flowJson: z.ZodType<FlowJson> = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    queue: z.string(),
    state: z.string(),
    parentId: z.string().nullable(),
    onChildFailure: z.enum(FLOW_POLICIES).nullable().describe('tasks with children'),
    result: z.unknown(),
    error: z
      .object({ code: z.string(), message: z.string(), details: z.unknown().optional() })
      .nullable(),
    get children(): z.ZodArray<z.ZodType<FlowJson>> {
      return z.array(flowJson);
    },
    evicted: z
      .array(flowChildSchema)
      .describe('children evicted since they ended: the outcome their parent kept'),
  })
  .meta({ id: 'Flow' });

const flowParams = z.strictObject({ id: taskIdSchema });

function toFlowJson(v: FlowView): FlowJson {
  return {
    id: v.task.id,
    name: v.name ?? null,
    queue: v.task.queue,
    state: v.task.state,
    parentId: v.parentId ?? null,
    onChildFailure: v.policy ?? null,
    result: v.task.state === 'completed' ? (v.task.result ?? null) : null,
    error: v.task.error ?? null,
    children: v.children.map(toFlowJson),
    evicted: v.evicted,
  };
}

/** /api/v1/flows: submit a tree of tasks in one step, read a flow with its tasks' states. */
export function flowRoutes(hub: Hub): Route[] {
  const gw = hub.gateway;
  return [
    {
      method: 'POST',
      path: '/api/v1/flows',
      auth: ['producer'],
      doc: {
        summary: 'Submit a flow: a task and its children, created together or not at all',
        description: `A parent runs once all its children are final and receives their outcomes (docs/flows.md). At most 1000 tasks and 10 levels. Answered once the flow is durable.`,
        tags: ['flows'],
        body: flowSchema,
        responses: { 201: submitted, 200: submitted.describe('a duplicate (idempotency key)') },
      },
      handler: async (ctx) => {
        const root = parseBody(flowSchema, ctx.body);
        const { taskIds, duplicate } = await gw.flows.submit(callerOf(ctx), root);
        return { status: duplicate ? 200 : 201, body: { id: taskIds[0], taskIds, duplicate } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/flows/:id',
      auth: ['producer'],
      doc: {
        summary: 'A flow from one of its tasks down: each task with its state and result',
        tags: ['flows'],
        params: flowParams,
        responses: { 200: flowJson, 404: errorJson },
      },
      handler: (ctx) => {
        const { id } = parseParams(flowParams, ctx);
        return { body: toFlowJson(gw.flows.view(callerOf(ctx), id)) };
      },
    },
  ];
}
