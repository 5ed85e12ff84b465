import type { ProviderKind } from './node-records.js';
import type {
  PortRange,
  ServiceStatusName,
  WorkspaceServiceSpec,
  WorkspaceStatusName,
} from './workspace-records.js';

/**
 * The durable commands of users and workspaces (docs/workspaces.md), journaled as issued and
 * replayed through workspace-rules.ts. What needs the outside world (parsing the key, choosing
 * the node, running the provider's commands) is the gateway's; the core keeps the records,
 * the uniqueness rules, the port allocation and the status state machine.
 */
export type WorkspaceCommand =
  | {
      type: 'user.register';
      now: number;
      user: {
        username: string;
        githubId: number;
        email: string;
        publicKey: string;
        fingerprint: string;
      };
    }
  | { type: 'user.key'; now: number; username: string; publicKey: string; fingerprint: string }
  | {
      /** A new workspace in `creating`, with the lowest free port of `ports`. */
      type: 'workspace.create';
      now: number;
      workspace: {
        id: string;
        user: string;
        name: string;
        provider: ProviderKind;
        nodeId: string;
        repository?: string;
        image?: string;
        services: WorkspaceServiceSpec[];
      };
      ports: PortRange;
    }
  | {
      /** A transition of the state machine; `deleted` also drops the record and its port. */
      type: 'workspace.status';
      now: number;
      workspaceId: string;
      status: WorkspaceStatusName;
      error?: string;
    }
  | {
      /** A service's status changed (a start, a check that passed or failed, a stop). */
      type: 'workspace.service';
      now: number;
      workspaceId: string;
      service: string;
      status: ServiceStatusName;
      error?: string;
    };

export const WORKSPACE_COMMANDS = [
  'user.register',
  'user.key',
  'workspace.create',
  'workspace.status',
  'workspace.service',
] as const satisfies readonly WorkspaceCommand['type'][];
