import type { Duplex } from 'node:stream';
import type { NodeRecord, NodeStatusName } from '../core/index.js';
import { NodeError, NodeErrorCode } from './errors.js';
import type { CommandOutcome, NodeRunner, RunRequest, ServiceInfo } from './node-runner.js';
import { PROVIDERS, providerParams, type ProviderAction } from './providers/index.js';
import { joinArgv } from './shell-quote.js';
import type { SshPool, SshTarget } from './ssh-pool.js';

export function targetOf(node: NodeRecord): SshTarget {
  if (!node.address) {
    throw new NodeError(
      NodeErrorCode.NODE_UNREACHABLE,
      `node ${node.name} has no address; set one with PUT /api/v1/nodes/${node.id}`,
    );
  }
  return {
    nodeId: node.id,
    host: node.address,
    port: node.sshPort,
    username: node.sshUser,
    ...(node.sshKey ? { keyName: node.sshKey } : {}),
  };
}

/**
 * Runs node commands over the SSH pool. `exec` runs the given command line in the node's
 * login shell (that is its purpose, and it needs an admin token); `exec` with `args.argv`
 * and every provider action run an argv, each element quoted, so no value can inject shell.
 */
export class SshRunner implements NodeRunner {
  constructor(readonly pool: SshPool) {}

  onStatus(listener: (nodeId: string, status: NodeStatusName, error?: string) => void): void {
    this.pool.onStatus(listener);
  }

  /** Where process/qemu keep pidfiles: args.dir, else the node's metadata.serviceDir. */
  private withDir(node: NodeRecord, args: Record<string, unknown>): Record<string, unknown> {
    const dir = node.metadata.serviceDir;
    return args.dir === undefined && typeof dir === 'string' ? { ...args, dir } : args;
  }

  commandLine(req: RunRequest, node?: NodeRecord): string {
    if (req.type === 'exec') {
      const argv = req.args.argv;
      if (Array.isArray(argv) && argv.every((a) => typeof a === 'string'))
        return joinArgv(argv as string[]);
      return req.action;
    }
    const provider = PROVIDERS[req.provider ?? ''];
    if (!provider)
      throw new NodeError(
        NodeErrorCode.INVALID_ARGUMENT,
        `unknown provider ${req.provider}; one of ${Object.keys(PROVIDERS).join(', ')}`,
      );
    const params = providerParams.safeParse(node ? this.withDir(node, req.args) : req.args);
    if (!params.success)
      throw new NodeError(
        NodeErrorCode.INVALID_ARGUMENT,
        `invalid args: ${params.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    try {
      return joinArgv(provider.argv(req.type as ProviderAction, req.action, params.data));
    } catch (err) {
      throw new NodeError(NodeErrorCode.INVALID_ARGUMENT, (err as Error).message);
    }
  }

  async run(node: NodeRecord, req: RunRequest): Promise<CommandOutcome> {
    const line = this.commandLine(req, node);
    const r = await this.pool.exec(targetOf(node), line, {
      ...(req.timeoutMs ? { timeoutMs: req.timeoutMs } : {}),
      ...(req.onOutput ? { onOutput: req.onOutput } : {}),
    });
    return {
      status: r.timedOut ? 'timeout' : r.exitCode === 0 ? 'succeeded' : 'failed',
      exitCode: r.exitCode,
      stdout: r.stdout,
      stderr: r.stderr,
      ...(r.timedOut
        ? { error: `timed out; the remote process was sent SIGKILL` }
        : r.signal
          ? { error: `killed by ${r.signal}` }
          : r.exitCode === null
            ? // Said, because a failure with no exit code and no output explains nothing.
              {
                error:
                  'the session ended without an exit status (sshd closed it, or the connection was lost)',
              }
            : {}),
      durationMs: r.durationMs,
    };
  }

  async services(node: NodeRecord): Promise<ServiceInfo[]> {
    const out: ServiceInfo[] = [];
    for (const kind of node.providers) {
      const provider = PROVIDERS[kind];
      if (!provider) continue;
      const params = providerParams.parse(this.withDir(node, {}));
      const r = await this.pool.exec(
        targetOf(node),
        joinArgv(provider.argv('list-services', '', params)),
      );
      if (r.exitCode === 0) out.push(...provider.parseServices(r.stdout, node.id));
    }
    return out;
  }

  forget(nodeId: string): void {
    this.pool.forget(nodeId);
  }

  openChannel(node: NodeRecord, host: string, port: number): Promise<Duplex> {
    return this.pool.forwardOut(targetOf(node), host, port);
  }

  /** `true` on the pooled connection: one attempt, answered within `timeoutMs` or unreachable. */
  async probe(node: NodeRecord, timeoutMs: number): Promise<void> {
    const r = await this.pool.exec(targetOf(node), 'true', { timeoutMs, attempts: 1 });
    if (r.timedOut)
      throw new NodeError(
        NodeErrorCode.NODE_UNREACHABLE,
        `node ${node.name} did not answer within ${timeoutMs} ms`,
      );
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
