import { z } from 'zod';
import { PROVIDER_KINDS, serviceOrder, type WorkspaceRecord } from '../../core/index.js';
import type { ForwardInfo } from '../../gateway/node-executor.js';
import { WorkspaceStepError } from '../../gateway/workspace-operations.js';
import type { Hub } from '../../hub/hub.js';
import { HttpError } from '../http-error.js';
import { callerOf, type Route } from '../router.js';
import { parseParams, parseQuery } from '../route-input.js';
import { errorJson } from '../schemas/error-json.js';
import {
  serviceForwardJson,
  serviceJson,
  serviceSpecJson,
  workspaceJson,
  type ServiceJson,
  type WorkspaceJson,
} from '../schemas/workspace-json.js';
import { toForwardJson } from './node-routes.js';
import { parseBody } from '../validate.js';
import { usernameSchema } from './user-routes.js';

/** No leading "-": a value that reaches a command line is never read as an option. */
const noFlag = (s: string) => !s.startsWith('-') && !s.includes('\0');
const createBody = z
  .strictObject({
    user: usernameSchema,
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, '1-63 letters, digits, ".", "_" or "-"'),
    provider: z.enum(PROVIDER_KINDS),
    node: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe('a node id or name; default: the hub places it'),
    repository: z
      .string()
      .min(1)
      .max(2048)
      .refine(noFlag, 'must not start with "-"')
      .optional()
      .describe('a git URL, cloned into the workspace'),
    image: z
      .string()
      .min(1)
      .max(1024)
      .refine(noFlag, 'must not start with "-"')
      .optional()
      .describe(
        'docker/lxc image, or the qcow2 base image for qemu; the process provider needs none',
      ),
    services: z
      .array(serviceSpecJson)
      .max(32)
      .optional()
      .describe('started in dependency order and checked before the workspace is running'),
  })
  .superRefine((b, ctx) => {
    const order = serviceOrder(b.services ?? []);
    if (!order.ok)
      ctx.addIssue({ code: 'custom', path: order.issue.path, message: order.issue.message });
  });
const statusBody = z.union([
  z.strictObject({ action: z.enum(['start', 'stop']) }),
  z.strictObject({ status: z.enum(['running', 'stopped']).describe('the status wanted') }),
]);
const idParams = z.strictObject({ id: z.string().min(1).max(128) });
const serviceParams = z.strictObject({
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(63),
});
const forwardParams = z.strictObject({
  id: z.string().min(1).max(128),
  fid: z.string().min(1).max(64),
});
const forwardBody = z.strictObject({
  localPort: z
    .number()
    .int()
    .min(1)
    .max(65_535)
    .optional()
    .describe('the hub port to listen on (default: from nodes.forwards.ports, or any free one)'),
});
const serviceList = z.object({ services: z.array(serviceJson) });
const serviceForwardList = z.object({ forwards: z.array(serviceForwardJson) });
const forwardClosed = z.object({ id: z.string(), closed: z.literal(true) });
const listQuery = z.strictObject({
  user: z.string().min(1).max(64).optional().describe('admins: one user’s workspaces'),
});
const list = z.object({ workspaces: z.array(workspaceJson) });
const TAGS = ['workspaces'];

/**
 * /api/v1/workspaces: create, read, start, stop, delete. Placement, the port, the steps on
 * the node and the status machine are the gateway's and the core's (`gateway.workspaces`).
 */
export function workspaceRoutes(hub: Hub): Route[] {
  const gw = hub.gateway.workspaces;
  const json = (ws: WorkspaceRecord): WorkspaceJson => {
    const node = gw.nodeOf(ws);
    const user = gw.sshUser(ws);
    const host = node?.address || null;
    return {
      id: ws.id,
      user: ws.user,
      name: ws.name,
      provider: ws.provider,
      node: ws.nodeId,
      nodeName: node?.name ?? null,
      repository: ws.repository ?? null,
      image: ws.image ?? null,
      services: ws.services,
      serviceStatus: Object.fromEntries(
        Object.entries(ws.serviceStates).map(([k, v]) => [k, v.status]),
      ),
      status: ws.status,
      lastError: ws.lastError ?? null,
      sshPort: ws.sshPort,
      ssh: {
        host,
        port: ws.sshPort,
        user,
        command: host ? `ssh -p ${ws.sshPort} ${user}@${host}` : null,
      },
      createdAt: ws.createdAt,
      updatedAt: ws.updatedAt,
    };
  };
  const forwardOf = (id: string, service: string, f: ForwardInfo) => ({
    ...toForwardJson(f),
    workspace: id,
    service,
  });
  /** A step that failed on the node: its code and message, and the workspace as it is now. */
  const rethrow = (err: unknown): never => {
    if (err instanceof WorkspaceStepError)
      throw new HttpError(err.code, err.message, { workspace: json(err.workspace) });
    throw err;
  };
  return [
    {
      method: 'POST',
      path: '/api/v1/workspaces',
      auth: ['producer'],
      doc: {
        summary: 'Create a workspace: 201 in `creating`, `running` once its SSH answers',
        description:
          'Placed on the node named, or on a node offering the provider; its SSH port is allocated from `workspaces.sshPorts`. 503 `PORTS_EXHAUSTED` when every port is held, 409 `NO_SUITABLE_NODE` when no node offers the provider.',
        tags: TAGS,
        body: createBody,
        responses: {
          201: workspaceJson,
          400: errorJson,
          404: errorJson,
          409: errorJson,
          503: errorJson,
        },
      },
      handler: async (ctx) => {
        const b = parseBody(createBody, ctx.body);
        const ws = await gw.create(callerOf(ctx), {
          user: b.user,
          name: b.name,
          provider: b.provider,
          ...(b.node === undefined ? {} : { node: b.node }),
          ...(b.repository === undefined ? {} : { repository: b.repository }),
          ...(b.image === undefined ? {} : { image: b.image }),
          services: b.services ?? [],
        });
        return { status: 201, body: json(ws) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/workspaces',
      auth: ['producer'],
      doc: {
        summary: "The caller's workspaces (admins: every one)",
        tags: TAGS,
        query: listQuery,
        responses: { 200: list },
      },
      handler: (ctx) => {
        const q = parseQuery(listQuery, ctx);
        return { body: { workspaces: gw.list(callerOf(ctx), q.user).map(json) } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/workspaces/:id',
      auth: ['producer'],
      doc: {
        summary: 'One workspace',
        tags: TAGS,
        params: idParams,
        responses: { 200: workspaceJson, 404: errorJson },
      },
      handler: (ctx) => ({ body: json(gw.get(callerOf(ctx), parseParams(idParams, ctx).id)) }),
    },
    {
      method: 'PATCH',
      path: '/api/v1/workspaces/:id/status',
      auth: ['producer'],
      doc: {
        summary: 'Start or stop a workspace',
        description:
          'start: 202 at once (a stopped or failed one; `running` once its SSH answers). stop: 200 once stopped. A change its status does not allow is 409 `INVALID_STATE`; a stop that failed on the node is 502 with the workspace (now `failed`) in `error.details.workspace`.',
        tags: TAGS,
        params: idParams,
        body: statusBody,
        responses: {
          200: workspaceJson,
          202: workspaceJson,
          404: errorJson,
          409: errorJson,
          502: errorJson,
        },
      },
      handler: async (ctx) => {
        const { id } = parseParams(idParams, ctx);
        const b = parseBody(statusBody, ctx.body);
        const start = 'action' in b ? b.action === 'start' : b.status === 'running';
        if (start) return { status: 202, body: json(gw.start(callerOf(ctx), id)) };
        return { body: json(await gw.stop(callerOf(ctx), id).catch(rethrow)) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/workspaces/:id/services',
      auth: ['producer'],
      doc: {
        summary: "A workspace's services: status, last check, open forwards",
        description:
          'status is durable (pending, starting, healthy, unhealthy, stopped; only changes are journaled and shown on the event stream as `workspace.service`); lastCheck is the last check this hub ran (null after a restart until the next).',
        tags: TAGS,
        params: idParams,
        responses: { 200: serviceList, 404: errorJson },
      },
      handler: (ctx) => {
        const { id } = parseParams(idParams, ctx);
        const services: ServiceJson[] = gw.serviceList(callerOf(ctx), id).map((v) => ({
          name: v.spec.name,
          port: v.spec.port ?? null,
          command: v.spec.command ?? null,
          dependencies: v.spec.dependencies ?? [],
          healthCheck: v.spec.healthCheck ?? null,
          status: v.state.status,
          lastError: v.state.lastError ?? null,
          since: v.state.since,
          lastCheck: v.lastCheck
            ? {
                at: v.lastCheck.at,
                ok: v.lastCheck.ok,
                durationMs: v.lastCheck.durationMs,
                error: v.lastCheck.error ?? null,
              }
            : null,
          forwards: v.forwards.map(toForwardJson),
        }));
        return { body: { services } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/workspaces/:id/services/:name/port-forward',
      auth: ['producer'],
      doc: {
        summary: "Open a hub port that forwards to one of the workspace's services",
        description:
          "Each connection to `localPort` on the hub is carried over the node's pooled SSH connection (direct-tcpip) to the service's port in the workspace. Each call opens a new forward; it is closed by DELETE /api/v1/workspaces/:id/forwards/:fid, or with the workspace (stop, delete), or when the hub stops. 409 `INVALID_STATE` unless the workspace is running; 400 for a service without a port.",
        tags: TAGS,
        params: serviceParams,
        body: forwardBody,
        responses: {
          201: serviceForwardJson,
          400: errorJson,
          404: errorJson,
          409: errorJson,
          502: errorJson,
        },
      },
      handler: async (ctx) => {
        const { id, name } = parseParams(serviceParams, ctx);
        const b = parseBody(forwardBody, ctx.body);
        const f = await gw.forwardService(callerOf(ctx), id, name, b.localPort);
        return { status: 201, body: forwardOf(id, name, f) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/workspaces/:id/forwards',
      auth: ['producer'],
      doc: {
        summary: "The workspace's open port forwards to its services",
        tags: TAGS,
        params: idParams,
        responses: { 200: serviceForwardList, 404: errorJson },
      },
      handler: (ctx) => {
        const { id } = parseParams(idParams, ctx);
        return {
          body: {
            forwards: gw
              .serviceForwards(callerOf(ctx), id)
              .map((x) => forwardOf(id, x.service, x.forward)),
          },
        };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/workspaces/:id/forwards/:fid',
      auth: ['producer'],
      doc: {
        summary: 'Close a forward to a service: its port is free when this answers',
        tags: TAGS,
        params: forwardParams,
        responses: { 200: forwardClosed, 404: errorJson },
      },
      handler: async (ctx) => {
        const { id, fid } = parseParams(forwardParams, ctx);
        await gw.closeServiceForward(callerOf(ctx), id, fid);
        return { body: { id: fid, closed: true as const } };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/workspaces/:id',
      auth: ['producer'],
      doc: {
        summary: 'Delete a workspace: stop and remove it on its node, release its port',
        description:
          'Every removal step is tried; if one fails the answer is 502 and the workspace stays (`failed`, keeping its port) so that a second DELETE finishes the job.',
        tags: TAGS,
        params: idParams,
        responses: { 200: workspaceJson, 404: errorJson, 502: errorJson },
      },
      handler: async (ctx) => ({
        body: json(await gw.delete(callerOf(ctx), parseParams(idParams, ctx).id).catch(rethrow)),
      }),
    },
  ];
}
