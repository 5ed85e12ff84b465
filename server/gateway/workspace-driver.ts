import type { NodeRecord, WorkspaceRecord, WorkspaceServiceSpec } from '../core/index.js';
import type { NodeCommandRequest } from './node-executor.js';

/**
 * The phases of a workspace's life on its node. `create` makes it, starts it and installs
 * the key; `start` starts a stopped one and installs the current key; `set-key` replaces the
 * key of a running one; `stop` stops it, keeping its files; `remove` leaves nothing behind.
 */
export type WorkspacePhase = 'create' | 'start' | 'stop' | 'remove' | 'set-key';

export interface WorkspaceTarget {
  workspace: WorkspaceRecord;
  node: NodeRecord;
  /** The owner's current public key line. */
  publicKey: string;
}

/**
 * The port through which the gateway runs workspaces (server/nodes implements it, per
 * provider): which node commands make up each phase, and whether the workspace's SSH
 * answers. The gateway records and runs every step as a node command and owns the status.
 */
export interface WorkspaceDriver {
  /** The node commands of one phase, in order. Throws (a 400) when the spec cannot be run. */
  steps(phase: WorkspacePhase, target: WorkspaceTarget): NodeCommandRequest[];
  /**
   * The node commands that start or stop one of the workspace's services (empty: nothing to
   * run, e.g. a container's stop ends its services). Throws (a 400) when the provider runs
   * no services.
   */
  serviceSteps(
    phase: 'start' | 'stop',
    target: Omit<WorkspaceTarget, 'publicKey'>,
    service: WorkspaceServiceSpec,
  ): NodeCommandRequest[];
  /** A shell command run inside the workspace (a `command` health check). */
  insideStep(target: Omit<WorkspaceTarget, 'publicKey'>, command: string): NodeCommandRequest;
  /**
   * Where the workspace's service ports are, as the node sees them: an address, or a node
   * command whose output's first word is the address (a container's IP).
   */
  serviceHost(
    target: Omit<WorkspaceTarget, 'publicKey'>,
  ): { host: string } | { step: NodeCommandRequest };
  /** The user one logs in as over the workspace's SSH. */
  sshUser(workspace: WorkspaceRecord, node: NodeRecord): string;
  /**
   * Resolves once an SSH server answers at host:port (its `SSH-2.0-` banner); rejects with
   * the last reason when it has not within `timeoutMs`, or when `cancelled()` says to stop.
   */
  waitForSsh(
    host: string,
    port: number,
    timeoutMs: number,
    cancelled: () => boolean,
  ): Promise<void>;
}

/**
 * The seam for what a workspace runs besides its SSH (its services, port forwards): a check
 * that must pass before the workspace is `running`, and a step run when it stops or goes,
 * or when a start that got past `ready`'s beginning fails (so a half-started service is
 * stopped too). Registered with `gateway.workspaces.extend(…)`; the services
 * (workspace-services.ts) are registered by the gateway itself.
 */
export interface WorkspaceExtension {
  /** Before `running`: rejects with the reason the workspace is not ready. */
  ready?(workspace: WorkspaceRecord, node: NodeRecord): Promise<void>;
  /** On stop and delete, before the provider's commands; a rejection is reported, not fatal to the rest. */
  teardown?(workspace: WorkspaceRecord, node: NodeRecord, reason: 'stop' | 'delete'): Promise<void>;
}
