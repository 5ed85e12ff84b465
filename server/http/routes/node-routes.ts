import { z } from 'zod';
import { ErrorCode, nameSchema, valueSchema } from '../../../protocol/index.js';
import {
  PROVIDER_KINDS,
  type NodeCommandRecord,
  type NodeRecord,
  type NodeSpec,
} from '../../core/index.js';
import { CommandNotStarted } from '../../gateway/node-operations.js';
import type { Hub } from '../../hub/hub.js';
import { NODE_KEY_NAME } from '../../nodes/index.js';
import { HttpError } from '../http-error.js';
import { callerOf, type Route } from '../router.js';
import { parseParams, parseQuery } from '../route-input.js';
import { commandJson, type CommandJson } from '../schemas/command-json.js';
import { errorJson } from '../schemas/error-json.js';
import { forwardJson, nodeJson, type ForwardJson, type NodeJson } from '../schemas/node-json.js';
import type { ForwardInfo } from '../../gateway/node-executor.js';
import { parseBody } from '../validate.js';

const provider = z.enum(PROVIDER_KINDS);
const sshUser = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z_][a-z0-9_.-]*$/i, 'must be a plain user name');
const sshPort = z.number().int().min(1).max(65_535);
/** A token subject (`sub`), as the auth layer bounds it. */
const agentSubject = z.string().min(1).max(256);
const labels = z.record(z.string().max(128), z.string().max(1024));
const nodeBody = z.strictObject({
  id: nameSchema.optional(),
  name: z.string().min(1).max(128),
  address: z.string().min(1).max(255).optional(),
  /** One provider kind, as older clients send it … */
  provider: provider.optional(),
  /** … or several. */
  providers: z.array(provider).max(4).optional(),
  sshUser: sshUser.optional(),
  sshPort: sshPort.optional(),
  /** The seed's names for sshUser and sshPort; one of each pair, or both the same. */
  user: sshUser.optional(),
  port: sshPort.optional(),
  /** The node's own SSH key: a file name in the hub's nodes.ssh.keysDir (only the name is kept). */
  sshKey: z
    .string()
    .regex(NODE_KEY_NAME, 'a file name in nodes.ssh.keysDir')
    .refine((v) => !v.includes('..'), 'a file name in nodes.ssh.keysDir')
    .optional(),
  labels: labels.optional(),
  capabilities: z.array(nameSchema).max(64).optional(),
  metadata: z.record(z.string().max(256), valueSchema).optional(),
  /** Token subject of an agent on the node that runs its commands and reports the results. */
  agent: agentSubject.optional(),
});
/** `agent: null` hands the node back to the hub's SSH runner; `sshKey: null` to the hub's key. */
const nodePatch = nodeBody.omit({ id: true }).partial().extend({
  agent: agentSubject.nullable().optional(),
  sshKey: nodeBody.shape.sshKey.unwrap().nullable().optional(),
});

/** sshUser/sshPort from either spelling; both spellings with different values is a 400. */
function sshFields(b: {
  sshUser?: string | undefined;
  user?: string | undefined;
  sshPort?: number | undefined;
  port?: number | undefined;
}): { sshUser?: string; sshPort?: number } {
  const pick = <T>(name: string, a: T | undefined, alias: string, b: T | undefined) => {
    if (a !== undefined && b !== undefined && a !== b)
      throw new HttpError(
        ErrorCode.INVALID_FRAME,
        `"${name}" and "${alias}" name the same field with different values; give one`,
      );
    return a ?? b;
  };
  const sshUser = pick('sshUser', b.sshUser, 'user', b.user);
  const sshPort = pick('sshPort', b.sshPort, 'port', b.port);
  return {
    ...(sshUser === undefined ? {} : { sshUser }),
    ...(sshPort === undefined ? {} : { sshPort }),
  };
}

const forwardBody = z.strictObject({
  port: sshPort.describe('the port on the node side'),
  host: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9.:_-]+$/, 'a host name or IP address')
    .optional()
    .describe('where the node connects to (default 127.0.0.1: the node itself)'),
  localPort: sshPort
    .optional()
    .describe('the hub port to listen on (default: from nodes.forwards.ports, or any free one)'),
});
const forwardParams = z.strictObject({
  id: z.string().min(1).max(128),
  fid: z.string().min(1).max(128),
});
const commandBody = z.strictObject({
  /** exec (a command line, run by the node's login shell) or a provider action. */
  type: z.enum(['exec', 'create', 'start', 'stop', 'remove', 'status', 'list-services']),
  /** exec: the command line. Provider actions: the service/container/VM name. */
  action: z.string().min(1).max(65_536),
  provider: provider.optional(),
  args: z.record(z.string().max(256), valueSchema).optional(),
  timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
});
const resultBody = z.strictObject({
  status: z.enum(['succeeded', 'failed', 'timeout', 'error']),
  exitCode: z.number().int().nullable().optional(),
  stdout: z.string().max(10_000_000).optional(),
  stderr: z.string().max(10_000_000).optional(),
  error: z.string().max(65_536).optional(),
  durationMs: z.number().int().min(0).optional(),
});

export function toNodeJson(node: NodeRecord): NodeJson {
  return {
    id: node.id,
    name: node.name,
    address: node.address || null,
    agent: node.agent ?? null,
    sshUser: node.sshUser,
    sshPort: node.sshPort,
    sshKey: node.sshKey ?? null,
    provider: node.providers[0] ?? null,
    providers: node.providers,
    labels: node.labels,
    capabilities: node.capabilities,
    metadata: node.metadata,
    status: node.status,
    lastError: node.lastError ?? null,
    lastSeen: node.lastSeen || null,
    createdAt: node.createdAt,
    updatedAt: node.updatedAt,
  };
}

export function toForwardJson(f: ForwardInfo): ForwardJson {
  return { ...f, owner: f.owner ?? null, lastError: f.lastError ?? null };
}

export function toCommandJson(c: NodeCommandRecord): CommandJson {
  return {
    id: c.id,
    nodeId: c.nodeId,
    type: c.type,
    action: c.action,
    provider: c.provider ?? null,
    agent: c.agent ?? null,
    args: c.args,
    status: c.status,
    exitCode: c.exitCode,
    stdout: c.stdout,
    stderr: c.stderr,
    error: c.error ?? null,
    attempts: c.attempts,
    createdAt: c.createdAt,
    startedAt: c.startedAt || null,
    finishedAt: c.finishedAt || null,
    durationMs: c.durationMs,
  };
}

const commandStatus = z.enum(['pending', 'running', 'succeeded', 'failed', 'timeout', 'error']);
const installKeyBody = z.strictObject({
  password: z.string().min(1).max(1024).optional(),
  privateKey: z.string().min(1).max(16_384).optional(),
  /** Where the node's sshd reads keys, when not ~/.ssh/authorized_keys. */
  authorizedKeysFile: z.string().min(1).max(1024).optional(),
});

/** A node by id or by name (the CLI addresses nodes by name). */
const nodeParams = z.strictObject({ id: z.string().min(1).max(128) });
const commandParams = z.strictObject({ id: z.string().min(1).max(128) });
const dispatchQuery = z.strictObject({
  wait: z
    .enum(['true', 'false'])
    .optional()
    .describe('false: answer 202 at once with the record (default: wait for the result)'),
});
const commandsQuery = z.strictObject({ status: commandStatus.optional() });
const servicesQuery = z.strictObject({
  node: z.string().min(1).max(128).optional().describe('one node, by id or name'),
});
const nodeList = z.object({ nodes: z.array(nodeJson) });
const nodeStatus = nodeJson.pick({
  id: true,
  name: true,
  status: true,
  lastError: true,
  lastSeen: true,
});
const removed = z.object({ id: z.string(), removed: z.literal(true) });
const keyInstalled = z.object({
  id: z.string(),
  key: z.enum(['installed', 'present']).describe('present: the node had the key already'),
});
const commandList = z.object({ commands: z.array(commandJson) });
const forwardList = z.object({ forwards: z.array(forwardJson) });
const forwardClosed = z.object({ id: z.string(), closed: z.literal(true) });
const services = z.object({
  services: z.array(
    z.object({
      nodeId: z.string(),
      provider: z.string(),
      name: z.string(),
      image: z.string().optional(),
      state: z.string(),
      ports: z.array(
        z.object({
          host: z.number().int().optional(),
          container: z.number().int().optional(),
          protocol: z.string().optional(),
        }),
      ),
      labels: z.record(z.string(), z.string()).optional(),
    }),
  ),
  errors: z
    .array(z.object({ nodeId: z.string(), error: z.string() }))
    .describe('nodes that could not be asked (their last known services are shown)'),
});
const TAGS = ['nodes'];

/**
 * /api/v1/nodes, /api/v1/commands, /api/v1/services — the paths and JSON of the
 * coordination server this hub replaces. Who may do what, and every record, is the
 * gateway's (`gateway.nodes`); these routes parse, call and render.
 */
export function nodeRoutes(hub: Hub): Route[] {
  const gw = hub.gateway.nodes;
  return [
    {
      method: 'POST',
      path: '/api/v1/nodes',
      auth: ['admin'],
      doc: {
        summary: 'Register a node',
        tags: TAGS,
        body: nodeBody,
        responses: { 201: nodeJson, 409: errorJson },
      },
      handler: async (ctx) => {
        const b = parseBody(nodeBody, ctx.body);
        const ssh = sshFields(b);
        const node = await gw.register(callerOf(ctx), {
          ...(b.id === undefined ? {} : { id: b.id }),
          name: b.name,
          address: b.address ?? '',
          sshUser: ssh.sshUser ?? 'root',
          sshPort: ssh.sshPort ?? 22,
          ...(b.sshKey ? { sshKey: b.sshKey } : {}),
          providers: b.providers ?? (b.provider ? [b.provider] : []),
          labels: b.labels ?? {},
          capabilities: b.capabilities ?? [],
          metadata: b.metadata ?? {},
          ...(b.agent ? { agent: b.agent } : {}),
        });
        return { status: 201, body: toNodeJson(node) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/nodes',
      auth: ['admin'],
      doc: { summary: 'Every node', tags: TAGS, responses: { 200: nodeList } },
      handler: (ctx) => ({ body: { nodes: gw.list(callerOf(ctx)).map(toNodeJson) } }),
    },
    {
      method: 'GET',
      path: '/api/v1/nodes/:id',
      auth: ['admin'],
      doc: {
        summary: 'One node (by id or name)',
        tags: TAGS,
        params: nodeParams,
        responses: { 200: nodeJson, 404: errorJson },
      },
      handler: (ctx) => ({
        body: toNodeJson(gw.node(callerOf(ctx), parseParams(nodeParams, ctx).id)),
      }),
    },
    {
      method: 'GET',
      path: '/api/v1/nodes/:id/status',
      auth: ['admin'],
      doc: {
        summary: "A node's connection status",
        tags: TAGS,
        params: nodeParams,
        responses: { 200: nodeStatus, 404: errorJson },
      },
      handler: (ctx) => {
        const n = gw.node(callerOf(ctx), parseParams(nodeParams, ctx).id);
        return {
          body: {
            id: n.id,
            name: n.name,
            status: n.status,
            lastError: n.lastError ?? null,
            lastSeen: n.lastSeen || null,
          },
        };
      },
    },
    {
      method: 'PUT',
      path: '/api/v1/nodes/:id',
      auth: ['admin'],
      doc: {
        summary: 'Change any field of a node (`agent: null` hands it back to the hub)',
        tags: TAGS,
        params: nodeParams,
        body: nodePatch,
        responses: { 200: nodeJson, 404: errorJson, 409: errorJson },
      },
      handler: async (ctx) => {
        const { id } = parseParams(nodeParams, ctx);
        const { provider, agent, sshKey, user, port, sshUser, sshPort, ...rest } = parseBody(
          nodePatch,
          ctx.body,
        );
        const patch: Partial<Omit<NodeSpec, 'id'>> = {
          ...rest,
          ...sshFields({ sshUser, user, sshPort, port }),
        };
        if (provider && !rest.providers) patch.providers = [provider];
        // A key set to undefined clears the field: the node goes back to the hub's runner.
        if (agent !== undefined) patch.agent = agent ?? undefined;
        if (sshKey !== undefined) patch.sshKey = sshKey ?? undefined;
        return { body: toNodeJson(await gw.update(callerOf(ctx), id, patch)) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/nodes/:id',
      auth: ['admin'],
      doc: {
        summary: 'Remove a node and the records of its commands',
        tags: TAGS,
        params: nodeParams,
        responses: { 200: removed, 404: errorJson },
      },
      handler: async (ctx) => {
        const node = await gw.remove(callerOf(ctx), parseParams(nodeParams, ctx).id);
        return { body: { id: node.id, removed: true } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/nodes/:id/commands',
      auth: ['admin'],
      doc: {
        summary: 'Run a command or provider action on a node',
        description:
          'A command that ran is 201 with its record, whatever its exit code. 202: `?wait=false`, or a node with an agent (the record, pending). One that never started is 502 (unreachable) or 400 (arguments refused), with the record in `error.details.command`.',
        tags: TAGS,
        params: nodeParams,
        query: dispatchQuery,
        body: commandBody,
        responses: { 201: commandJson, 202: commandJson, 404: errorJson, 502: errorJson },
      },
      handler: async (ctx) => {
        const { id } = parseParams(nodeParams, ctx);
        const q = parseQuery(dispatchQuery, ctx);
        const b = parseBody(commandBody, ctx.body);
        // ?wait=false returns at once with the record, as does a command for an agent (the
        // agent reports when it likes); by default the reply carries the result.
        const wait = q.wait !== 'false';
        try {
          const { command, finished } = await gw.dispatch(
            callerOf(ctx),
            id,
            {
              type: b.type,
              action: b.action,
              args: b.args ?? {},
              provider: b.provider,
              ...(b.timeoutMs ? { timeoutMs: b.timeoutMs } : {}),
            },
            wait,
          );
          // A command that ran is a created record whatever its exit code (201, `exitCode`
          // and `status` say how it went).
          return { status: finished ? 201 : 202, body: toCommandJson(command) };
        } catch (err) {
          // One that never started is not a result: 502 (unreachable) or 400 (refused
          // arguments), with the record of the attempt.
          if (err instanceof CommandNotStarted)
            throw new HttpError(err.code, err.message, { command: toCommandJson(err.command) });
          throw err;
        }
      },
    },
    {
      method: 'POST',
      path: '/api/v1/nodes/:id/install-key',
      auth: ['admin'],
      doc: {
        summary: "Log in once with a password or key and install the hub's public key",
        description:
          'Give `password` or `privateKey`: used for this one connection, never stored. 400 when neither is given or the hub has no SSH runner; 502 when the node refused or could not be reached.',
        tags: TAGS,
        params: nodeParams,
        body: installKeyBody,
        responses: { 200: keyInstalled, 404: errorJson, 502: errorJson },
      },
      handler: async (ctx) => {
        const { id } = parseParams(nodeParams, ctx);
        // One-time credentials: used for this one connection, never stored or logged.
        const b = parseBody(installKeyBody, ctx.body);
        if (!b.password && !b.privateKey)
          throw new HttpError(
            ErrorCode.INVALID_FRAME,
            'give "password" or "privateKey" to log in once and install the hub key',
          );
        const { node, key } = await gw.installKey(callerOf(ctx), id, b);
        return { body: { id: node.id, key } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/nodes/:id/forwards',
      auth: ['admin'],
      doc: {
        summary: "Open a hub port that forwards to a port on the node's side (over SSH)",
        description:
          "Each connection to `localPort` on the hub (`bindHost`, nodes.forwards.bindHost) is carried over the node's pooled SSH connection (direct-tcpip) to `host:port` as the node sees it. 409 FORWARD_LIMIT over nodes.forwards.maxPerNode or with the port range used up, 409 PORT_IN_USE for a `localPort` taken, 502 when the node cannot be reached. The forward lives in the hub process: it ends with DELETE, the node's removal, or the hub's stop.",
        tags: TAGS,
        params: nodeParams,
        body: forwardBody,
        responses: { 201: forwardJson, 404: errorJson, 409: errorJson, 502: errorJson },
      },
      handler: async (ctx) => {
        const { id } = parseParams(nodeParams, ctx);
        const b = parseBody(forwardBody, ctx.body);
        const f = await gw.openForward(callerOf(ctx), id, {
          host: b.host ?? '127.0.0.1',
          port: b.port,
          ...(b.localPort === undefined ? {} : { localPort: b.localPort }),
        });
        return { status: 201, body: toForwardJson(f) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/nodes/:id/forwards',
      auth: ['admin'],
      doc: {
        summary: "The node's open port forwards, with their connection counts",
        tags: TAGS,
        params: nodeParams,
        responses: { 200: forwardList, 404: errorJson },
      },
      handler: (ctx) => ({
        body: {
          forwards: gw
            .forwardsOf(callerOf(ctx), parseParams(nodeParams, ctx).id)
            .map(toForwardJson),
        },
      }),
    },
    {
      method: 'DELETE',
      path: '/api/v1/nodes/:id/forwards/:fid',
      auth: ['admin'],
      doc: {
        summary: 'Close a port forward: its port is free and its connections cut when this answers',
        tags: TAGS,
        params: forwardParams,
        responses: { 200: forwardClosed, 404: errorJson },
      },
      handler: async (ctx) => {
        const { id, fid } = parseParams(forwardParams, ctx);
        const f = await gw.closeForward(callerOf(ctx), id, fid);
        return { body: { id: f.id, closed: true } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/commands',
      auth: ['worker'],
      doc: {
        summary: 'Command records the token may see (an agent: those dispatched to it)',
        tags: TAGS,
        query: commandsQuery,
        responses: { 200: commandList },
      },
      handler: (ctx) => {
        // An agent sees the commands dispatched to it (`?status=pending` is its to-do list).
        const { status } = parseQuery(commandsQuery, ctx);
        return { body: { commands: gw.commands(callerOf(ctx), status).map(toCommandJson) } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/commands/:id',
      auth: ['worker'],
      doc: {
        summary: 'One command record',
        tags: TAGS,
        params: commandParams,
        responses: { 200: commandJson, 404: errorJson },
      },
      handler: (ctx) => ({
        body: toCommandJson(gw.command(callerOf(ctx), parseParams(commandParams, ctx).id)),
      }),
    },
    {
      method: 'POST',
      path: '/api/v1/commands/:id/result',
      auth: ['worker'],
      doc: {
        summary: 'The agent a command was dispatched to reports its result, once',
        tags: TAGS,
        params: commandParams,
        body: resultBody,
        responses: { 200: commandJson, 404: errorJson, 409: errorJson },
      },
      handler: async (ctx) => {
        const { id } = parseParams(commandParams, ctx);
        const b = parseBody(resultBody, ctx.body);
        const command = await gw.report(callerOf(ctx), id, {
          status: b.status,
          exitCode: b.exitCode ?? null,
          stdout: b.stdout ?? '',
          stderr: b.stderr ?? '',
          ...(b.error ? { error: b.error } : {}),
          durationMs: b.durationMs ?? 0,
        });
        return { body: toCommandJson(command) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/services',
      auth: ['admin'],
      doc: {
        summary: 'Services across nodes (docker: containers and published ports)',
        tags: TAGS,
        query: servicesQuery,
        responses: { 200: services },
      },
      handler: async (ctx) => ({
        body: await gw.services(callerOf(ctx), parseQuery(servicesQuery, ctx).node),
      }),
    },
  ];
}
