import type { NodeRecord } from '../core/index.js';

/** What the gateway asks to be run on a node (a command line, or a provider action). */
export interface NodeCommandRequest {
  /** 'exec' runs `action` as a command line; other types are provider actions. */
  type: string;
  action: string;
  args: Record<string, unknown>;
  provider: string | undefined;
  timeoutMs?: number;
}

/** What running something on a node produced. */
export interface CommandOutcome {
  status: 'succeeded' | 'failed' | 'timeout' | 'error';
  exitCode: number | null;
  stdout: string;
  stderr: string;
  error?: string;
  durationMs: number;
}

export interface ServiceInfo {
  nodeId: string;
  provider: string;
  name: string;
  image?: string;
  state: string;
  ports: { host?: number; container?: number; protocol?: string }[];
  labels?: Record<string, string>;
}

export interface ServicesReport {
  services: ServiceInfo[];
  errors: { nodeId: string; error: string }[];
}

export interface InstallKeyCredentials {
  password?: string;
  privateKey?: string;
  /** Where the node's sshd reads keys, when not ~/.ssh/authorized_keys. */
  authorizedKeysFile?: string;
}

/**
 * The port through which the gateway reaches nodes (server/nodes implements it, over SSH):
 * the gateway decides who may do what and records every command; the executor only runs.
 */
export interface NodeExecutor {
  /**
   * Run it to the end (any exit code is an outcome). Rejects only when it could not be
   * started, with an error whose `code` is a node code from the registry saying why
   * (INVALID_ARGUMENT: refused before anything ran; otherwise the node was not reached).
   */
  run(node: NodeRecord, request: NodeCommandRequest): Promise<CommandOutcome>;
  services(nodes: NodeRecord[]): Promise<ServicesReport>;
  /** The node's address or credentials changed, or it is gone: drop its connection. */
  forget(nodeId: string): void;
  /** Absent when the hub has no SSH runner. */
  readonly installKey?: (
    node: NodeRecord,
    credentials: InstallKeyCredentials,
  ) => Promise<'installed' | 'present'>;
}
