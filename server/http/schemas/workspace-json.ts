import { z } from 'zod';
import { PROVIDER_KINDS, SERVICE_STATUSES, WORKSPACE_STATUSES } from '../../core/index.js';
import { forwardJson } from './node-json.js';

/** A user as the REST API shows it: the public key and its fingerprint, never anything secret. */
export const userJson = z
  .object({
    username: z.string(),
    githubId: z.number().int(),
    email: z.string(),
    sshPublicKey: z.string().describe('the OpenSSH public key line, normalised'),
    fingerprint: z.string().describe('SHA256:…, as `ssh-keygen -l` prints it'),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'User' });
export type UserJson = z.output<typeof userJson>;

/** A service's health check, as declared (and as the API shows it back). */
export const healthCheckJson = z
  .strictObject({
    type: z.enum(['tcp', 'http', 'command']),
    path: z
      .string()
      .regex(/^\/[\x21-\x7e]*$/, 'an absolute path of printable characters')
      .max(1024)
      .optional()
      .describe('http: the path to GET (default /); 2xx or 3xx is healthy'),
    command: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe('command: a shell command run inside the workspace; exit 0 is healthy'),
    intervalMs: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .optional()
      .describe('between checks once running (default workspaces.serviceCheckIntervalMs)'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .optional()
      .describe('one check (default 5000)'),
  })
  .refine((h) => h.type !== 'command' || h.command !== undefined, {
    message: 'a command check needs `command`',
    path: ['command'],
  });

/** A service as declared in POST /api/v1/workspaces. */
export const serviceSpecJson = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, '1-63 letters, digits, ".", "_" or "-"'),
    port: z
      .number()
      .int()
      .min(1)
      .max(65_535)
      .optional()
      .describe('the port it listens on inside the workspace'),
    command: z
      .string()
      .min(1)
      .max(8192)
      .optional()
      .describe(
        'a shell command run inside the workspace to start it ($PORT is set); absent: started by the image',
      ),
    dependencies: z
      .array(z.string().min(1).max(63))
      .max(32)
      .optional()
      .describe('services that must be healthy before this one starts'),
    healthCheck: healthCheckJson
      .optional()
      .describe('absent: tcp when it has a port, none otherwise'),
  })
  .meta({ id: 'ServiceSpec' });

export const serviceStatusJson = z.enum(SERVICE_STATUSES);

/** A service of a workspace with its status and its last check. */
export const serviceJson = z
  .object({
    name: z.string(),
    port: z.number().int().nullable(),
    command: z.string().nullable(),
    dependencies: z.array(z.string()),
    healthCheck: healthCheckJson.nullable(),
    status: serviceStatusJson,
    lastError: z.string().nullable().describe('why its last start or check failed'),
    since: z.number().int().describe('when it took its status'),
    lastCheck: z
      .object({
        at: z.number().int(),
        ok: z.boolean(),
        durationMs: z.number().int(),
        error: z.string().nullable(),
      })
      .nullable()
      .describe("this hub's last check (null until the first since the hub started)"),
    forwards: z.array(forwardJson).describe('its open port forwards'),
  })
  .meta({ id: 'Service' });
export type ServiceJson = z.output<typeof serviceJson>;

/** A forward to a workspace's service. */
export const serviceForwardJson = forwardJson
  .extend({ workspace: z.string(), service: z.string() })
  .meta({ id: 'ServiceForward' });

/** A workspace as the REST API shows it (toWorkspaceJson): unset fields are null. */
export const workspaceJson = z
  .object({
    id: z.string(),
    user: z.string(),
    name: z.string(),
    provider: z.enum(PROVIDER_KINDS),
    node: z.string().describe('the id of the node it runs on'),
    nodeName: z.string().nullable(),
    repository: z.string().nullable(),
    image: z.string().nullable(),
    services: z.array(serviceSpecJson),
    serviceStatus: z
      .record(z.string(), serviceStatusJson)
      .describe('each service by name: pending, starting, healthy, unhealthy or stopped'),
    status: z.enum(WORKSPACE_STATUSES),
    lastError: z.string().nullable().describe('why the last step failed'),
    sshPort: z.number().int(),
    ssh: z
      .object({
        host: z.string().nullable(),
        port: z.number().int(),
        user: z.string(),
        command: z
          .string()
          .nullable()
          .describe('`ssh -p PORT USER@HOST`, when the node has an address'),
      })
      .describe("where to log in with the owner's key"),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: 'Workspace' });
export type WorkspaceJson = z.output<typeof workspaceJson>;
