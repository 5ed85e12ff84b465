import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { NodeRecord } from '../core/index.js';
import type { ForwardInfo, ForwardSpec, NodeForwarder } from '../gateway/node-executor.js';
import { NodeError, NodeErrorCode } from './errors.js';
import { PortForward } from './port-forward.js';

export interface PortForwardsOptions {
  /** The address forwards listen on. Loopback by default: a forward carries no auth of its own. */
  bindHost: string;
  /** Hub ports forwards take (the first free one); unset: the OS picks one. */
  ports?: { from: number; to: number } | undefined;
  maxPerNode: number;
  /** Live connections per forward. */
  maxConnections: number;
}

/** Opens a channel to host:port on the node, over the node's connection of the moment. */
export type ChannelOpener = (node: NodeRecord, host: string, port: number) => Promise<Duplex>;

/**
 * The hub's port forwards (`NodeForwarder`): bounded per node, each on a port of the
 * configured range or one the OS picks, every connection through the node's current record
 * (a node whose address changed is reached at the new one) and current connection. A node
 * that is gone closes its forwards at the next connection, and at once through `closeNode`.
 * Live state of this hub process: forwards end with it (nothing of them is journaled).
 */
export class PortForwards implements NodeForwarder {
  private readonly forwards = new Map<string, PortForward>();
  /** Hub ports being opened or open, so concurrent opens never try the same one twice. */
  private readonly taken = new Set<number>();
  private seq = 0;

  constructor(
    private readonly openChannel: ChannelOpener,
    /** The node's record now (undefined: removed). */
    private readonly current: (nodeId: string) => NodeRecord | undefined,
    private readonly options: PortForwardsOptions,
    /** Connect (or reuse the connection) before a forward is opened: a bad node fails the open. */
    private readonly reach?: (node: NodeRecord) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  async open(node: NodeRecord, spec: ForwardSpec): Promise<ForwardInfo> {
    const range = this.options.ports;
    if (
      spec.localPort !== undefined &&
      range &&
      (spec.localPort < range.from || spec.localPort > range.to)
    )
      throw new NodeError(
        NodeErrorCode.INVALID_ARGUMENT,
        `localPort ${spec.localPort} is outside nodes.forwards.ports (${range.from}-${range.to})`,
      );
    if (this.countOf(node.id) >= this.options.maxPerNode)
      throw new NodeError(
        NodeErrorCode.FORWARD_LIMIT,
        `node ${node.name} has ${this.options.maxPerNode} forwards open (nodes.forwards.maxPerNode); close one first`,
      );
    const id = `fwd-${(++this.seq).toString(36)}${randomBytes(3).toString('hex')}`;
    const fwd = new PortForward({
      id,
      nodeId: node.id,
      host: spec.host,
      port: spec.port,
      owner: spec.owner,
      bindHost: this.options.bindHost,
      maxConnections: this.options.maxConnections,
      open: () => {
        const now = this.current(node.id);
        if (!now) {
          void this.close(id);
          return Promise.reject(new Error(`node ${node.id} was removed`));
        }
        return this.openChannel(now, spec.host, spec.port);
      },
      now: this.now,
    });
    // Counted from here: the cap holds for opens that overlap.
    this.forwards.set(id, fwd);
    try {
      if (this.reach) await this.reach(node);
      await this.listen(fwd, spec.localPort);
    } catch (err) {
      this.forwards.delete(id);
      await fwd.close();
      throw err;
    }
    if (!this.current(node.id)) {
      // Removed while the forward was being opened: what closeNode missed, close here.
      await this.close(id);
      throw new NodeError(NodeErrorCode.NODE_UNREACHABLE, `node ${node.id} was removed`);
    }
    return fwd.info();
  }

  list(nodeId?: string): ForwardInfo[] {
    const out: ForwardInfo[] = [];
    for (const f of this.forwards.values())
      if (nodeId === undefined || f.nodeId === nodeId) out.push(f.info());
    return out;
  }

  get(id: string): ForwardInfo | undefined {
    return this.forwards.get(id)?.info();
  }

  async close(id: string): Promise<boolean> {
    const f = this.forwards.get(id);
    if (!f) return false;
    this.forwards.delete(id);
    const port = f.port;
    await f.close();
    this.taken.delete(port);
    return true;
  }

  closeNode(nodeId: string): Promise<number> {
    return this.closeWhere((f) => f.nodeId === nodeId);
  }

  closeOwner(owner: string): Promise<number> {
    return this.closeWhere((f) => f.owner === owner);
  }

  /** Every forward (the hub stops). */
  closeAll(): Promise<number> {
    return this.closeWhere(() => true);
  }

  private async closeWhere(match: (f: PortForward) => boolean): Promise<number> {
    const ids = [...this.forwards.values()].filter(match).map((f) => f.id);
    await Promise.all(ids.map((id) => this.close(id)));
    return ids.length;
  }

  private countOf(nodeId: string): number {
    let n = 0;
    for (const f of this.forwards.values()) if (f.nodeId === nodeId) n++;
    return n;
  }

  /** The port asked for, else the first free one of the range, else one the OS picks. */
  private async listen(fwd: PortForward, wanted: number | undefined): Promise<void> {
    const range = this.options.ports;
    const candidates: number[] =
      wanted !== undefined ? [wanted] : range ? this.freeInRange(range) : [0];
    for (const port of candidates) {
      if (port !== 0 && this.taken.has(port)) continue;
      if (port !== 0) this.taken.add(port);
      try {
        this.taken.add(await fwd.listen(port));
        return;
      } catch (err) {
        if (port !== 0) this.taken.delete(port);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' && wanted === undefined) continue;
        if (code === 'EADDRINUSE')
          throw new NodeError(
            NodeErrorCode.PORT_IN_USE,
            `hub port ${port} on ${this.options.bindHost} is taken`,
          );
        throw new NodeError(
          NodeErrorCode.INVALID_ARGUMENT,
          `cannot listen on ${this.options.bindHost}:${port}: ${(err as Error).message}`,
        );
      }
    }
    if (wanted !== undefined)
      throw new NodeError(NodeErrorCode.PORT_IN_USE, `hub port ${wanted} is taken by a forward`);
    throw new NodeError(
      NodeErrorCode.FORWARD_LIMIT,
      `every port of nodes.forwards.ports (${range!.from}-${range!.to}) is taken`,
    );
  }

  private freeInRange(range: { from: number; to: number }): number[] {
    const out: number[] = [];
    for (let p = range.from; p <= range.to; p++) if (!this.taken.has(p)) out.push(p);
    return out;
  }
}
