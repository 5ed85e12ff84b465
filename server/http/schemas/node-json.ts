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
    sshKey: z
      .string()
      .nullable()
      .describe("the node's own key, by name in nodes.ssh.keysDir (null: the hub's key)"),
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

/** An open port forward (toForwardJson): live state of the hub that opened it. */
export const forwardJson = z
  .object({
    id: z.string(),
    nodeId: z.string(),
    host: z.string().describe('where the node connects each connection to'),
    port: z.number().int().describe('the port on the node side'),
    bindHost: z.string().describe('the hub address the forward listens on'),
    localPort: z.number().int().describe('the hub port: connect here'),
    owner: z.string().nullable().describe('what opened it (a workspace); null: the node API'),
    createdAt: z.number().int(),
    connections: z.number().int().describe('open now'),
    totalConnections: z.number().int(),
    refusedConnections: z.number().int().describe('closed at once: over maxConnections'),
    failedConnections: z.number().int().describe('closed: no channel could be opened'),
    bytesIn: z.number().int().describe('from the hub side to the node'),
    bytesOut: z.number().int().describe('from the node back'),
    lastError: z.string().nullable(),
  })
  .meta({ id: 'Forward' });
export type ForwardJson = z.output<typeof forwardJson>;
