import type { NodeRecord, NodeStatusName } from '../core/index.js';

/** What running something on a node produced. */
export interface CommandOutcome {
  status: 'succeeded' | 'failed' | 'timeout' | 'error';
  exitCode: number | null;
  stdout: string;
  stderr: string;
  error?: string;
  durationMs: number;
}

export interface RunRequest {
  /** 'exec' runs `action` as a command line; other types are provider actions. */
  type: string;
  action: string;
  args: Record<string, unknown>;
  provider: string | undefined;
  timeoutMs?: number;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void;
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
  close(): Promise<void>;
}
