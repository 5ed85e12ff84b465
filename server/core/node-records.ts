/** Remote machines the hub manages over SSH, and the commands run on them. */

export const NodeStatus = {
  unknown: 'unknown',
  connecting: 'connecting',
  connected: 'connected',
  error: 'error',
  offline: 'offline',
} as const;
export type NodeStatusName = (typeof NodeStatus)[keyof typeof NodeStatus];

export const PROVIDER_KINDS = ['docker', 'lxc', 'qemu', 'process'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export interface NodeRecord {
  id: string;
  name: string;
  address: string;
  sshUser: string;
  sshPort: number;
  providers: ProviderKind[];
  labels: Record<string, string>;
  capabilities: string[];
  metadata: Record<string, unknown>;
  /**
   * Token subject of an agent on the node that runs the node's commands itself and reports
   * each result (POST /api/v1/commands/{id}/result). Unset: the hub runs them over SSH.
   */
  agent?: string;
  /**
   * The node's own SSH key, by name: a file in the hub's `nodes.ssh.keysDir`. Only the name
   * is state (journaled, in snapshots); the key itself never is. Unset: the hub's key.
   */
  sshKey?: string;
  status: NodeStatusName;
  lastError: string | undefined;
  lastSeen: number;
  createdAt: number;
  updatedAt: number;
}

export const CommandStatus = {
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  timeout: 'timeout',
  error: 'error',
} as const;
export type CommandStatusName = (typeof CommandStatus)[keyof typeof CommandStatus];

export interface NodeCommandRecord {
  id: string;
  nodeId: string;
  /** exec | provider action (create, start, stop, remove, status, list-services) */
  type: string;
  /** For exec: the command line; for provider actions: the action name. */
  action: string;
  args: Record<string, unknown>;
  provider: string | undefined;
  /**
   * The agent (token subject) the command was dispatched to. Unset: the hub's own runner
   * runs it, and only the hub records its result.
   */
  agent?: string;
  status: CommandStatusName;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  error: string | undefined;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  attempts: number;
}
