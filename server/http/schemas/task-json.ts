import { z } from 'zod';
import {
  flowChildSchema,
  PRIORITY_NAMES,
  TASK_STATES,
  type PriorityName,
  type TaskJson,
  type TaskStateName,
} from '../../../protocol/index.js';

const ms = z.number().int();

/** A task as the REST API shows it (toTaskJson): times are Unix ms, unset ones null. */
export const taskJson = z
  .object({
    id: z.string(),
    queue: z.string(),
    state: z.enum(TASK_STATES as [TaskStateName, ...TaskStateName[]]),
    priority: z.enum(PRIORITY_NAMES as [PriorityName, ...PriorityName[]]),
    payload: z.unknown(),
    attempt: z.number().int().min(0),
    maxAttempts: z.number().int().min(1),
    timeoutMs: ms,
    runAt: ms,
    expiresAt: ms.nullable(),
    requires: z.array(z.string()),
    idempotencyKey: z.string().nullable(),
    createdAt: ms,
    startedAt: ms.nullable(),
    finishedAt: ms.nullable(),
    workerId: z.string().nullable(),
    progress: z.unknown(),
    result: z.unknown(),
    error: z
      .object({ code: z.string(), message: z.string(), details: z.unknown().optional() })
      .nullable(),
    parentId: z.string().optional().describe("a flow's child: its parent (docs/flows.md)"),
    children: z
      .array(flowChildSchema)
      .optional()
      .describe("a flow's parent: its children that are final, with their outcomes"),
  })
  .meta({ id: 'Task' }) satisfies z.ZodType<TaskJson>;

/** A task without its payload: what /api/tasks/complete and /fail answer. */
export const finishedTaskJson = taskJson.omit({ payload: true });
