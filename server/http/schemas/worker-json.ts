import { z } from 'zod';
import type { WorkerJson } from '../../../protocol/index.js';
import { WorkerState } from '../../core/index.js';

/** A worker as the REST API shows it (toWorkerJson). */
export const workerJson = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    kind: z.enum(['ws', 'http']).describe('ws: holds a WebSocket; http: polls /api/tasks/assign'),
    state: z.enum(WorkerState),
    busy: z.boolean(),
    queues: z.array(z.string()),
    capabilities: z.array(z.string()),
    concurrency: z.number().int().min(1),
    running: z.array(z.string()).describe('ids of the tasks it holds'),
    connectedAt: z.number().int(),
    lastSeen: z.number().int(),
    completed: z.number().int().min(0),
    failed: z.number().int().min(0),
  })
  .meta({ id: 'Worker' }) satisfies z.ZodType<WorkerJson>;
