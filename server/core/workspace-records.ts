import type { ProviderKind } from './node-records.js';

/** People who get workspaces: a GitHub identity and the public half of their SSH key. */
export interface UserRecord {
  username: string;
  githubId: number;
  email: string;
  /** One OpenSSH public key line (`ssh-ed25519 AAAA… comment`), checked at the edge. */
  publicKey: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  createdAt: number;
  updatedAt: number;
}

/**
 * A workspace's lifecycle. `creating` until its health checks pass once (`running`), or a
 * step fails (`failed`); `stopped` by request; `deleted` is final, and the record and its
 * port are dropped with it.
 */
export const WorkspaceStatus = {
  creating: 'creating',
  running: 'running',
  stopped: 'stopped',
  failed: 'failed',
  deleted: 'deleted',
} as const;
export type WorkspaceStatusName = (typeof WorkspaceStatus)[keyof typeof WorkspaceStatus];
export const WORKSPACE_STATUSES = Object.values(WorkspaceStatus);

/**
 * Every legal transition, and only these. A start from `stopped` or `failed` stays in its
 * status until the checks pass, so `running` is reached from them directly; a stop of a
 * `failed` workspace tears down what half-started, and a failed one may fail again (a delete
 * that could not finish records its new reason). Nothing leaves `deleted`.
 */
export const WORKSPACE_TRANSITIONS: Readonly<
  Record<WorkspaceStatusName, readonly WorkspaceStatusName[]>
> = {
  creating: ['running', 'failed', 'deleted'],
  running: ['stopped', 'failed', 'deleted'],
  stopped: ['running', 'failed', 'deleted'],
  failed: ['running', 'stopped', 'failed', 'deleted'],
  deleted: [],
};

export function mayTransition(from: WorkspaceStatusName, to: WorkspaceStatusName): boolean {
  return WORKSPACE_TRANSITIONS[from].includes(to);
}

/** How a service is checked: a connection to its port, an HTTP GET, or a command's exit code. */
export interface ServiceHealthCheck {
  type: 'tcp' | 'http' | 'command';
  /** http: the path to GET (default `/`). */
  path?: string;
  /** command: a shell command run inside the workspace; exit 0 is healthy. */
  command?: string;
  /** Between checks once it is healthy (default `workspaces.serviceCheckIntervalMs`). */
  intervalMs?: number;
  /** One check may take this long. */
  timeoutMs?: number;
}

/**
 * A service a workspace declares (docs/workspaces.md, "Services"): started in the order of
 * its `dependencies`, checked before the workspace is `running` and periodically after.
 * Checked at the edge; `serviceOrder` (service-order.ts) refuses a cycle.
 */
export interface WorkspaceServiceSpec {
  name: string;
  /** The port it listens on, inside the workspace. */
  port?: number;
  /** A shell command run inside the workspace to start it; absent: nothing is started. */
  command?: string;
  /** Names of services that must be healthy before this one starts. */
  dependencies?: string[];
  /** Absent: a tcp check when it has a port, none otherwise. */
  healthCheck?: ServiceHealthCheck;
}

/**
 * What the hub knows of a service: `pending` until started, `starting` until its first
 * check passes, then `healthy` or `unhealthy` as its checks say, `stopped` with its
 * workspace. Only changes are journaled; the time of the last check is the hub's, live.
 */
export const SERVICE_STATUSES = ['pending', 'starting', 'healthy', 'unhealthy', 'stopped'] as const;
export type ServiceStatusName = (typeof SERVICE_STATUSES)[number];

export interface WorkspaceServiceState {
  status: ServiceStatusName;
  /** Why the last check or start failed, when it did. */
  lastError: string | undefined;
  /** When it took this status. */
  since: number;
}

/** An inclusive range of ports on the nodes, one per workspace, for its SSH. */
export interface PortRange {
  from: number;
  to: number;
}

export interface WorkspaceRecord {
  id: string;
  /** The owner's username. */
  user: string;
  name: string;
  provider: ProviderKind;
  nodeId: string;
  repository: string | undefined;
  image: string | undefined;
  services: WorkspaceServiceSpec[];
  /** Each service's status, by name (every declared service has one). */
  serviceStates: Record<string, WorkspaceServiceState>;
  /** The node port its SSH listens on, allocated at create, released at delete. */
  sshPort: number;
  status: WorkspaceStatusName;
  /** Why the last step failed, when it did. */
  lastError: string | undefined;
  createdAt: number;
  updatedAt: number;
}
