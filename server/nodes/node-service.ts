import type { NodeCommandRecord, NodeRecord, NodeStatusName } from '../core/index.js';
import type { Engine } from '../gateway/engine.js';
import { NodeError, NodeErrorCode, type NodeErrorCodeName } from './errors.js';
import type { CommandOutcome, NodeRunner, RunRequest, ServiceInfo } from './node-runner.js';

/** A finished command, and for one that could not be started (status `error`) the reason. */
export interface DispatchOutcome {
  record: NodeCommandRecord;
  errorCode: NodeErrorCodeName | undefined;
}

function notStarted(error: string): CommandOutcome {
  return { status: 'error', exitCode: null, stdout: '', stderr: '', error, durationMs: 0 };
}

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
    private readonly hub: Engine,
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
   * Record a command and start it. `done` resolves with the record once finished (and, when
   * it could not be started, the node error code saying why); the record is visible
   * (pending/running) through the API meanwhile. A command for a node with an `agent` is
   * only recorded: the agent runs it and reports the result, so there is no `done`.
   */
  dispatch(
    node: NodeRecord,
    req: Omit<RunRequest, 'onOutput'>,
  ): { id: string; done: Promise<DispatchOutcome> | undefined } {
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
        ...(node.agent ? { agent: node.agent } : {}),
      },
    });
    if (node.agent) return { id, done: undefined };
    const done = (async (): Promise<DispatchOutcome> => {
      this.hub.execute({ type: 'command.started', now: this.hub.now(), commandId: id });
      let outcome: CommandOutcome;
      let errorCode: NodeErrorCodeName | undefined;
      if (!this.runner) {
        errorCode = NodeErrorCode.NODE_UNREACHABLE;
        outcome = notStarted('this hub has no node runner configured');
      } else {
        try {
          outcome = await this.runner.run(node, req);
        } catch (err) {
          errorCode = err instanceof NodeError ? err.code : NodeErrorCode.NODE_UNREACHABLE;
          outcome = notStarted((err as Error).message);
        }
      }
      this.finish(id, outcome);
      return { record: this.hub.core.nodes.commands.get(id)!, errorCode };
    })();
    return { id, done };
  }

  /** Record a command's result: the hub's own runner's, or one an agent reported. */
  finish(id: string, outcome: CommandOutcome): ReturnType<Engine['execute']> {
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
