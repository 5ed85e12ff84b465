import type { Duplex } from 'node:stream';
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
  /**
   * A byte channel to host:port as the node sees it, over the node's pooled connection
   * (SSH direct-tcpip): how the hub checks a workspace's service. Absent: no SSH runner.
   */
  readonly connect?: (node: NodeRecord, host: string, port: number) => Promise<Duplex>;
  /** Port forwards over the node connections; absent when the hub has no SSH runner. */
  readonly forwards?: NodeForwarder;
  /** Absent when the hub has no SSH runner. */
  readonly installKey?: (
    node: NodeRecord,
    credentials: InstallKeyCredentials,
  ) => Promise<'installed' | 'present'>;
}

/** A port forward to open: a port on the node (as the node sees `host`), and the hub port. */
export interface ForwardSpec {
  /** Where on the node's side to connect: `127.0.0.1` for a service on the node itself. */
  host: string;
  port: number;
  /** The hub port to listen on; unset: one from `nodes.forwards.ports`, or one the OS picks. */
  localPort?: number;
  /**
   * Who it belongs to, to close it with its owner: unset for forwards opened through the
   * node API, `workspace:<id>` (for example) for one a workspace opens for its service.
   */
  owner?: string;
}

/** An open port forward, as the hub holds it (live state of this hub process, not journaled). */
export interface ForwardInfo {
  id: string;
  nodeId: string;
  host: string;
  port: number;
  bindHost: string;
  localPort: number;
  owner: string | undefined;
  createdAt: number;
  connections: number;
  totalConnections: number;
  /** Closed at once: over `nodes.forwards.maxConnections`. */
  refusedConnections: number;
  /** Closed because no channel could be opened (node down, nothing listening there). */
  failedConnections: number;
  bytesIn: number;
  bytesOut: number;
  lastError: string | undefined;
}

/**
 * Port forwards over the nodes' connections (server/nodes implements it). Errors carry a
 * node code: FORWARD_LIMIT, PORT_IN_USE, INVALID_ARGUMENT (refused before anything opened),
 * or a connection code (the node was not reached).
 */
export interface NodeForwarder {
  open(node: NodeRecord, spec: ForwardSpec): Promise<ForwardInfo>;
  list(nodeId?: string): ForwardInfo[];
  get(id: string): ForwardInfo | undefined;
  /** Resolves once its port is free and its connections are closed; false: no such forward. */
  close(id: string): Promise<boolean>;
  /** Every forward of the node (it was removed). */
  closeNode(nodeId: string): Promise<number>;
  /** Every forward of an owner (a workspace that is deleted). */
  closeOwner(owner: string): Promise<number>;
}
