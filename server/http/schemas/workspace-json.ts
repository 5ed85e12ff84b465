import { z } from 'zod';
import { PROVIDER_KINDS, WORKSPACE_STATUSES } from '../../core/index.js';

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
    services: z.array(z.record(z.string(), z.unknown())),
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
