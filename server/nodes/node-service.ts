import type { NodeRecord } from '../core/index.js';
import type { Gateway } from '../gateway/gateway.js';
import type {
  CommandOutcome,
  InstallKeyCredentials,
  NodeCommandRequest,
  NodeExecutor,
  ServiceInfo,
  ServicesReport,
} from '../gateway/node-executor.js';
import { NodeError, NodeErrorCode } from './errors.js';
import type { NodeRunner } from './node-runner.js';
import { NodeWorkspaceDriver } from './node-workspace-driver.js';

/**
 * The hub's node executor: runs what the gateway (`gateway.nodes`, which decides who may do
 * what and records every command) gives it on a NodeRunner, and reports the runner's
 * connection statuses back through the gateway. Constructing one attaches it to the hub's
 * gateway.
 */
export class NodeService implements NodeExecutor {
  private readonly lastServices = new Map<string, ServiceInfo[]>();

  constructor(
    hub: { readonly gateway: Gateway },
    readonly runner: NodeRunner | undefined,
    /** Installs the hub's public key on a node with one-time credentials (SSH runner only). */
    readonly installKey?: (
      node: NodeRecord,
      credentials: InstallKeyCredentials,
    ) => Promise<'installed' | 'present'>,
  ) {
    const nodes = hub.gateway.nodes;
    runner?.onStatus((nodeId, status, error) => nodes.recordStatus(nodeId, status, error));
    nodes.attach(this);
    // Workspaces run their steps as node commands through the same gateway path.
    hub.gateway.workspaces.attach(new NodeWorkspaceDriver());
  }

  run(node: NodeRecord, request: NodeCommandRequest): Promise<CommandOutcome> {
    if (!this.runner)
      return Promise.reject(
        new NodeError(NodeErrorCode.NODE_UNREACHABLE, 'this hub has no node runner configured'),
      );
    return this.runner.run(node, request);
  }

  /** Services across nodes: refreshed from each reachable node, falling back to the last list seen. */
  async services(nodes: NodeRecord[]): Promise<ServicesReport> {
    const errors: { nodeId: string; error: string }[] = [];
    await Promise.all(
      nodes.map(async (node) => {
        if (!this.runner) return;
        try {
          this.lastServices.set(node.id, await this.runner.services(node));
        } catch (err) {
          errors.push({ nodeId: node.id, error: (err as Error).message });
        }
      }),
    );
    const services = nodes.flatMap((n) => this.lastServices.get(n.id) ?? []);
    return { services, errors };
  }

  forget(nodeId: string): void {
    this.lastServices.delete(nodeId);
    this.runner?.forget(nodeId);
  }

  async close(): Promise<void> {
    await this.runner?.close();
  }
}
