import { z } from 'zod';
import { NodeStatus, PROVIDER_KINDS } from '../../core/index.js';

const msOrNull = z.number().int().nullable();

/** A node as the REST API shows it (toNodeJson): unset fields are null. */
export const nodeJson = z
  .object({
    id: z.string(),
    name: z.string(),
    address: z.string().nullable(),
    agent: z.string().nullable().describe('token subject of the agent that runs its commands'),
    sshUser: z.string(),
    sshPort: z.number().int(),
    provider: z.enum(PROVIDER_KINDS).nullable().describe('the first of `providers`'),
    providers: z.array(z.enum(PROVIDER_KINDS)),
    labels: z.record(z.string(), z.string()),
    capabilities: z.array(z.string()),
    metadata: z.record(z.string(), z.unknown()),
    status: z.enum(NodeStatus),
    lastError: z.string().nullable(),
    lastSeen: msOrNull,
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'Node' });
export type NodeJson = z.output<typeof nodeJson>;
