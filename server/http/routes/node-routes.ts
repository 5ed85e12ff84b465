import { z } from 'zod';
import { ErrorCode, nameSchema, valueSchema } from '../../../protocol/index.js';
import { PROVIDER_KINDS, type NodeCommandRecord, type NodeRecord } from '../../core/index.js';
import type { Grant } from '../../auth/index.js';
import type { Hub } from '../../hub/hub.js';
import { storeFailure } from '../../gateway/store-failure.js';
import { NodeErrorCode } from '../../nodes/errors.js';
import type { NodeService } from '../../nodes/node-service.js';
import { HttpError, notFound } from '../http-error.js';
import type { Route } from '../router.js';
import { parseBody } from '../validate.js';

const provider = z.enum(PROVIDER_KINDS);
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
  sshUser: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z_][a-z0-9_.-]*$/i, 'must be a plain user name')
    .optional(),
  sshPort: z.number().int().min(1).max(65_535).optional(),
  labels: labels.optional(),
  capabilities: z.array(nameSchema).max(64).optional(),
  metadata: z.record(z.string().max(256), valueSchema).optional(),
  /** Token subject of an agent on the node that runs its commands and reports the results. */
  agent: agentSubject.optional(),
});
/** `agent: null` hands the node back to the hub's SSH runner. */
const nodePatch = nodeBody
  .omit({ id: true })
  .partial()
  .extend({ agent: agentSubject.nullable().optional() });
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

export function toNodeJson(node: NodeRecord): Record<string, unknown> {
  return {
    id: node.id,
    name: node.name,
    address: node.address || null,
    agent: node.agent ?? null,
    sshUser: node.sshUser,
    sshPort: node.sshPort,
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

export function toCommandJson(c: NodeCommandRecord): Record<string, unknown> {
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

/** Admins may see and report any command; a worker token only those dispatched to its subject. */
function mayReport(grant: Grant | undefined, c: NodeCommandRecord): boolean {
  if (!grant || grant.role === 'admin') return true;
  return c.agent !== undefined && grant.subject === c.agent;
}

/** The command, if this caller may see it; 404 otherwise, so ids cannot be probed. */
function commandFor(hub: Hub, grant: Grant | undefined, id: string): NodeCommandRecord {
  const c = hub.core.nodes.commands.get(id);
  if (!c || !mayReport(grant, c)) throw notFound(`no command ${id}`);
  return c;
}

/** Find a node by id, or by name (the CLI addresses nodes by name). */
export function findNode(hub: Hub, ref: string): NodeRecord {
  const byId = hub.core.nodes.nodes.get(ref);
  if (byId) return byId;
  for (const n of hub.core.nodes.nodes.values()) if (n.name === ref) return n;
  throw notFound(`no node ${ref}`);
}

/**
 * /api/v1/nodes, /api/v1/commands, /api/v1/services — the paths and JSON of the
 * coordination server this hub replaces.
 */
export function nodeRoutes(hub: Hub, nodes: NodeService): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/nodes',
      auth: ['admin'],
      handler: async ({ body }) => {
        const b = parseBody(nodeBody, body);
        const id = b.id ?? `node-${hub.ids.next()}`;
        await hub.gateway.durably({
          type: 'node.register',
          now: hub.now(),
          node: {
            id,
            name: b.name,
            address: b.address ?? '',
            sshUser: b.sshUser ?? 'root',
            sshPort: b.sshPort ?? 22,
            providers: b.providers ?? (b.provider ? [b.provider] : []),
            labels: b.labels ?? {},
            capabilities: b.capabilities ?? [],
            metadata: b.metadata ?? {},
            ...(b.agent ? { agent: b.agent } : {}),
          },
        });
        return { status: 201, body: toNodeJson(hub.core.nodes.nodes.get(id)!) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/nodes',
      auth: ['admin'],
      handler: () => ({ body: { nodes: [...hub.core.nodes.nodes.values()].map(toNodeJson) } }),
    },
    {
      method: 'GET',
      path: '/api/v1/nodes/:id',
      auth: ['admin'],
      handler: ({ params }) => ({ body: toNodeJson(findNode(hub, params.id!)) }),
    },
    {
      method: 'GET',
      path: '/api/v1/nodes/:id/status',
      auth: ['admin'],
      handler: ({ params }) => {
        const n = findNode(hub, params.id!);
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
      handler: async ({ params, body }) => {
        const node = findNode(hub, params.id!);
        const b = parseBody(nodePatch, body);
        const patch: Record<string, unknown> = { ...b };
        delete patch.provider;
        if (b.provider && !b.providers) patch.providers = [b.provider];
        if (b.agent === null) patch.agent = undefined;
        await hub.gateway.durably({ type: 'node.update', now: hub.now(), nodeId: node.id, patch });
        nodes.forget(node.id); // address or credentials may have changed: reconnect fresh
        return { body: toNodeJson(node) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/nodes/:id',
      auth: ['admin'],
      handler: async ({ params }) => {
        const node = findNode(hub, params.id!);
        await hub.gateway.durably({ type: 'node.remove', now: hub.now(), nodeId: node.id });
        nodes.forget(node.id);
        return { body: { id: node.id, removed: true } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/nodes/:id/commands',
      auth: ['admin'],
      handler: async ({ params, body, query }) => {
        const node = findNode(hub, params.id!);
        const b = parseBody(commandBody, body);
        const prov = b.provider ?? (b.type === 'exec' ? undefined : node.providers[0]);
        if (b.type !== 'exec' && !prov) {
          throw new HttpError(
            ErrorCode.INVALID_FRAME,
            `node ${node.name} has no provider; give "provider" (${PROVIDER_KINDS.join(', ')})`,
          );
        }
        const { id, done } = nodes.dispatch(node, {
          type: b.type,
          action: b.action,
          args: b.args ?? {},
          provider: prov,
          ...(b.timeoutMs ? { timeoutMs: b.timeoutMs } : {}),
        });
        // ?wait=false returns at once with the pending record, as does a command for an agent
        // (the agent reports when it likes); by default the reply carries the result.
        if (!done || query.get('wait') === 'false')
          return { status: 202, body: toCommandJson(hub.core.nodes.commands.get(id)!) };
        const { record, errorCode } = await done;
        // A command that ran is a created record whatever its exit code (201, `exitCode` and
        // `status` say how it went). One that never started is not a result: the node could
        // not be reached (502), or the arguments were refused before anything ran (400).
        if (record.status === 'error') {
          const invalid = errorCode === NodeErrorCode.INVALID_ARGUMENT;
          throw new HttpError(
            invalid ? ErrorCode.INVALID_FRAME : ErrorCode.NODE_UNREACHABLE,
            record.error ?? `command ${record.id} could not be started`,
            { command: toCommandJson(record) },
          );
        }
        return { status: 201, body: toCommandJson(record) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/nodes/:id/install-key',
      auth: ['admin'],
      handler: async ({ params, body }) => {
        const node = findNode(hub, params.id!);
        // One-time credentials: used for this one connection, never stored or logged.
        const b = parseBody(
          z.strictObject({
            password: z.string().min(1).max(1024).optional(),
            privateKey: z.string().min(1).max(16_384).optional(),
            /** Where the node's sshd reads keys, when not ~/.ssh/authorized_keys. */
            authorizedKeysFile: z.string().min(1).max(1024).optional(),
          }),
          body,
        );
        if (!b.password && !b.privateKey)
          throw new HttpError(
            ErrorCode.INVALID_FRAME,
            'give "password" or "privateKey" to log in once and install the hub key',
          );
        if (!nodes.installKey)
          throw new HttpError(ErrorCode.INVALID_FRAME, 'this hub has no SSH runner');
        try {
          const outcome = await nodes.installKey(node, b);
          return { body: { id: node.id, key: outcome } };
        } catch (err) {
          throw new HttpError(ErrorCode.NODE_UNREACHABLE, (err as Error).message);
        }
      },
    },
    {
      method: 'GET',
      path: '/api/v1/commands',
      auth: ['worker'],
      handler: ({ query, grant }) => {
        // An agent sees the commands dispatched to it (`?status=pending` is its to-do list).
        const { status } = parseBody(
          z.strictObject({ status: commandStatus.optional() }),
          Object.fromEntries(query),
          'query',
        );
        const commands: Record<string, unknown>[] = [];
        for (const c of hub.core.nodes.commands.values()) {
          if (!mayReport(grant, c)) continue;
          if (status && c.status !== status) continue;
          commands.push(toCommandJson(c));
        }
        return { body: { commands } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/commands/:id',
      auth: ['worker'],
      handler: ({ params, grant }) => ({ body: toCommandJson(commandFor(hub, grant, params.id!)) }),
    },
    {
      method: 'POST',
      path: '/api/v1/commands/:id/result',
      auth: ['worker'],
      handler: async ({ params, body, grant }) => {
        const c = commandFor(hub, grant, params.id!);
        const b = parseBody(resultBody, body);
        // What the hub's own runner runs, only the hub reports: anything else would let a
        // caller replace real output with its own while the command still runs.
        if (!c.agent)
          throw new HttpError(
            ErrorCode.INVALID_STATE,
            `command ${c.id} is run by the hub, which records its result itself`,
          );
        const { result, seq } = nodes.finish(c.id, {
          status: b.status,
          exitCode: b.exitCode ?? null,
          stdout: b.stdout ?? '',
          stderr: b.stderr ?? '',
          ...(b.error ? { error: b.error } : {}),
          durationMs: b.durationMs ?? 0,
        });
        if (!result.ok) throw new HttpError(result.code, result.message);
        await new Promise<void>((resolve, reject) =>
          hub.whenDurable(seq, (err) =>
            err ? reject(new HttpError(storeFailure(err).code, err.message)) : resolve(),
          ),
        );
        return { body: toCommandJson(c) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/services',
      auth: ['admin'],
      handler: async ({ query }) => {
        const only = query.get('node');
        const list = [...hub.core.nodes.nodes.values()].filter(
          (n) => !only || n.id === only || n.name === only,
        );
        return { body: await nodes.services(list) };
      },
    },
  ];
}
