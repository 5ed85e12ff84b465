import type { NodeRecord, NodeStatusName } from '../core/index.js';
import { NodeErrorCode } from './errors.js';

export interface NodeProbeOptions {
  /** How often every node is probed; 0 switches the probe off. */
  intervalMs: number;
  /** A probe without an answer within this counts as unreachable. */
  timeoutMs: number;
  /** Nodes probed at once. */
  concurrency: number;
}

/**
 * Keeps node statuses fresh without waiting for the next command: every `intervalMs` each
 * node the hub reaches over SSH (an address, no agent) gets one round trip on its pooled
 * connection (connecting if there is none). An answer is `connected`; no connection
 * `offline` (with the reason); a node that answered but refused (its key, its host key)
 * `error`. The registry turns a change into a `node.status` event; a node whose probe is
 * still running is skipped, not probed twice.
 */
export class NodeProbe {
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<string>();
  private round: Promise<void> | undefined;

  constructor(
    private readonly nodes: () => Iterable<NodeRecord>,
    private readonly probe: (node: NodeRecord, timeoutMs: number) => Promise<void>,
    private readonly report: (nodeId: string, status: NodeStatusName, error?: string) => void,
    private readonly options: NodeProbeOptions,
  ) {}

  start(): void {
    if (this.timer || this.options.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /** One round over every node (the timer calls it; tests may too). */
  tick(): Promise<void> {
    const due = [...this.nodes()].filter((n) => n.address && !n.agent && !this.running.has(n.id));
    const round = this.each(due);
    this.round = round;
    return round;
  }

  private async each(nodes: NodeRecord[]): Promise<void> {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < nodes.length) {
        const node = nodes[next++]!;
        this.running.add(node.id);
        try {
          await this.probe(node, this.options.timeoutMs);
          this.report(node.id, 'connected');
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          const message = (err as Error).message;
          this.report(
            node.id,
            code === NodeErrorCode.NODE_UNREACHABLE ? 'offline' : 'error',
            message,
          );
        } finally {
          this.running.delete(node.id);
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.options.concurrency, nodes.length) }, lane),
    );
  }
}
