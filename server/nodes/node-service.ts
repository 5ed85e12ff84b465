import type { NodeCommandRecord, NodeRecord, NodeStatusName } from '../core/index.js';
import type { Hub } from '../hub/hub.js';
import type { CommandOutcome, NodeRunner, RunRequest, ServiceInfo } from './node-runner.js';

const MAX_OUTPUT = 64 * 1024;

function clip(s: string): string {
  return s.length > MAX_OUTPUT
    ? `${s.slice(0, MAX_OUTPUT)}\n[… ${s.length - MAX_OUTPUT} more bytes cut]`
    : s;
}

/**
 * Glue between the registry in the core and a NodeRunner: every command gets a durable
 * record (created → started → finished), status changes land in the registry, and the
 * event stream sees all of it.
 */
export class NodeService {
  private readonly lastServices = new Map<string, ServiceInfo[]>();
  private seq = 0;

  constructor(
    private readonly hub: Hub,
    readonly runner: NodeRunner | undefined,
    /** Installs the hub's public key on a node with one-time credentials (SSH runner only). */
    readonly installKey?: (
      node: NodeRecord,
      credentials: { password?: string; privateKey?: string; authorizedKeysFile?: string },
    ) => Promise<'installed' | 'present'>,
  ) {
    runner?.onStatus((nodeId, status, error) => this.recordStatus(nodeId, status, error));
  }

  recordStatus(nodeId: string, status: NodeStatusName, error?: string): void {
    if (!this.hub.core.nodes.nodes.has(nodeId)) return;
    this.hub.execute({
      type: 'node.status',
      now: this.hub.now(),
      nodeId,
      status,
      ...(error ? { error } : {}),
    });
  }

  newCommandId(): string {
    return `cmd-${this.hub.ids.next()}-${(++this.seq).toString(36)}`;
  }

  /**
   * Record a command and start it. Resolves with the record once finished; the record is
   * visible (pending/running) through the API meanwhile.
   */
  dispatch(
    node: NodeRecord,
    req: Omit<RunRequest, 'onOutput'>,
  ): { id: string; done: Promise<NodeCommandRecord> } {
    const id = this.newCommandId();
    this.hub.execute({
      type: 'node.command',
      now: this.hub.now(),
      command: {
        id,
        nodeId: node.id,
        type: req.type,
        action: req.action,
        args: req.args,
        provider: req.provider,
      },
    });
    const done = (async () => {
      this.hub.execute({ type: 'command.started', now: this.hub.now(), commandId: id });
      let outcome: CommandOutcome;
      if (!this.runner) {
        outcome = {
          status: 'error',
          exitCode: null,
          stdout: '',
          stderr: '',
          error: 'this hub has no node runner configured',
          durationMs: 0,
        };
      } else {
        try {
          outcome = await this.runner.run(node, req);
        } catch (err) {
          outcome = {
            status: 'error',
            exitCode: null,
            stdout: '',
            stderr: '',
            error: (err as Error).message,
            durationMs: 0,
          };
        }
      }
      this.finish(id, outcome);
      return this.hub.core.nodes.commands.get(id)!;
    })();
    return { id, done };
  }

  /** A result reported from outside (an agent on the node that ran the command itself). */
  finish(id: string, outcome: CommandOutcome): ReturnType<Hub['execute']> {
    return this.hub.execute({
      type: 'command.result',
      now: this.hub.now(),
      commandId: id,
      status: outcome.status,
      exitCode: outcome.exitCode,
      stdout: clip(outcome.stdout),
      stderr: clip(outcome.stderr),
      ...(outcome.error ? { error: outcome.error } : {}),
      durationMs: outcome.durationMs,
    });
  }

  /** Services across nodes: refreshed from each reachable node, falling back to the last list seen. */
  async services(
    nodes: NodeRecord[],
  ): Promise<{ services: ServiceInfo[]; errors: { nodeId: string; error: string }[] }> {
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
