import type { Duplex } from 'node:stream';
import type { NodeRecord, NodeStatusName } from '../core/index.js';
import type { CommandOutcome, NodeCommandRequest, ServiceInfo } from '../gateway/node-executor.js';

// The outcome and service shapes are the gateway's (its NodeExecutor port); runners produce them.
export type { CommandOutcome, ServiceInfo } from '../gateway/node-executor.js';

export interface RunRequest extends NodeCommandRequest {
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void;
}

/**
 * How the hub reaches nodes. The SSH implementation lives beside this file; tests and
 * HTTP-reporting agents may supply others.
 */
export interface NodeRunner {
  run(node: NodeRecord, request: RunRequest): Promise<CommandOutcome>;
  services(node: NodeRecord): Promise<ServiceInfo[]>;
  /** Connection status changes, to be recorded in the registry. */
  onStatus(listener: (nodeId: string, status: NodeStatusName, error?: string) => void): void;
  forget(nodeId: string): void;
  /**
   * A byte channel to host:port as the node sees it (SSH: direct-tcpip on the pooled
   * connection), for port forwards. Absent: this runner cannot forward.
   */
  openChannel?(node: NodeRecord, host: string, port: number): Promise<Duplex>;
  /** One round trip to the node within `timeoutMs`; rejects with a node code when it fails. */
  probe?(node: NodeRecord, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}
