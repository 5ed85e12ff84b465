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
import { NodeProbe, type NodeProbeOptions } from './node-probe.js';
import { PortForwards, type PortForwardsOptions } from './port-forwards.js';

export interface NodeServiceOptions {
  forwards?: PortForwardsOptions;
  probe?: NodeProbeOptions;
}

/** What a hub (and a test hub) gets unless its config says otherwise. */
export const DEFAULT_FORWARDS: PortForwardsOptions = {
  bindHost: '127.0.0.1',
  maxPerNode: 16,
  maxConnections: 64,
};
import { NodeWorkspaceDriver } from './node-workspace-driver.js';

/**
 * The hub's node executor: runs what the gateway (`gateway.nodes`, which decides who may do
 * what and records every command) gives it on a NodeRunner, and reports the runner's
 * connection statuses back through the gateway. Constructing one attaches it to the hub's
 * gateway.
 */
export class NodeService implements NodeExecutor {
  private readonly lastServices = new Map<string, ServiceInfo[]>();
  /** Port forwards over the runner's channels (a runner that can open them). */
  readonly forwards: PortForwards | undefined;
  private readonly probe: NodeProbe | undefined;
  readonly connect: NodeExecutor['connect'];

  private readonly gateway: Gateway;

  constructor(
    hub: { readonly gateway: Gateway },
    readonly runner: NodeRunner | undefined,
    /** Installs the hub's public key on a node with one-time credentials (SSH runner only). */
    readonly installKey?: (
      node: NodeRecord,
      credentials: InstallKeyCredentials,
    ) => Promise<'installed' | 'present'>,
    options: NodeServiceOptions = {},
  ) {
    this.gateway = hub.gateway;
    const nodes = hub.gateway.nodes;
    runner?.onStatus((nodeId, status, error) => nodes.recordStatus(nodeId, status, error));
    if (runner?.openChannel) {
      const open = runner.openChannel.bind(runner);
      this.connect = open;
      const probe = runner.probe?.bind(runner);
      this.forwards = new PortForwards(
        open,
        (id) => nodes.known(id),
        options.forwards ?? DEFAULT_FORWARDS,
        probe ? (node) => probe(node, options.probe?.timeoutMs ?? 5000) : undefined,
      );
    }
    if (runner?.probe && options.probe && options.probe.intervalMs > 0)
      this.probe = new NodeProbe(
        () => nodes.everyNode(),
        runner.probe.bind(runner),
        (id, status, error) => nodes.recordStatus(id, status, error),
        options.probe,
      );
    nodes.attach(this);
    // Workspaces run their steps as node commands through the same gateway path.
    hub.gateway.workspaces.attach(new NodeWorkspaceDriver());
  }

  /** Start the background probe: once the hub has recovered its nodes. */
  startProbe(): void {
    this.probe?.start();
  }

  /** One probe round now (tests; the timer does the same). */
  probeNow(): Promise<void> {
    return this.probe?.tick() ?? Promise.resolve();
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

  /** The hub stops: service checks and the probe first, then every forward (their ports free), then the connections. */
  async close(): Promise<void> {
    this.gateway.workspaces.close();
    await this.probe?.stop();
    await this.forwards?.closeAll();
    await this.runner?.close();
  }
}
