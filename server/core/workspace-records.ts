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

/**
 * A service a workspace declares. Stored as given (bounded at the edge); starting and
 * checking services is a later feature's, which reads them from here.
 */
export type WorkspaceServiceSpec = Record<string, unknown>;

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
  /** The node port its SSH listens on, allocated at create, released at delete. */
  sshPort: number;
  status: WorkspaceStatusName;
  /** Why the last step failed, when it did. */
  lastError: string | undefined;
  createdAt: number;
  updatedAt: number;
}
