import type { Client, ClientChannel } from 'ssh2';
import { lazyRequire } from '../support/lazy-require.js';

const ssh2 = lazyRequire<typeof import('ssh2')>('ssh2');
import type { NodeStatusName } from '../core/index.js';
import { NodeError, NodeErrorCode } from './errors.js';
import type { KnownHosts } from './known-hosts.js';

export interface SshTarget {
  nodeId: string;
  host: string;
  port: number;
  username: string;
  /**
   * The node's own key (a name in `nodes.ssh.keysDir`), used instead of the hub's. Only the
   * name travels: the pool reads the file when it connects, and never logs or returns it.
   */
  keyName?: string;
}

export interface SshPoolOptions {
  /** The hub's key, or a function that loads it when the first connection needs it. */
  privateKey: string | (() => string);
  /** Reads a node's own key by name (`SshTarget.keyName`); throws a NodeError when it cannot. */
  nodeKey?: (name: string) => string;
  knownHosts: KnownHosts;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  idleTimeoutMs: number;
  keepaliveIntervalMs: number;
  maxSessionsPerNode: number;
  /** Connection attempts per command before giving up (connection errors only). */
  connectAttempts?: number;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void;
  stdin?: string;
  /** Connection attempts for this one (default `connectAttempts`): the probe makes one. */
  attempts?: number;
}

interface Entry {
  target: SshTarget;
  client: Client;
  ready: Promise<Client>;
  active: number;
  /** Forwarded (direct-tcpip) channels open on it: they keep it from the idle close. */
  channels: number;
  waiting: (() => void)[];
  idleTimer: NodeJS.Timeout | undefined;
  closed: boolean;
}

export interface PoolStats {
  connects: number;
  reuses: number;
  commands: number;
  /** Forwarded channels opened (forwardOut). */
  channels: number;
  activeSessions: number;
  connections: number;
}

/**
 * One SSH connection per node, reused for every command: connect once (the expensive
 * part: TCP, key exchange, auth), then open a channel per command. Connections close after
 * `idleTimeoutMs` unused, are kept alive with keepalives, and are re-made on the next
 * command after a failure. At most `maxSessionsPerNode` commands run at once per node
 * (OpenSSH's MaxSessions defaults to 10); the rest wait their turn.
 */
export class SshPool {
  private readonly entries = new Map<string, Entry>();
  private readonly statusListeners: ((
    nodeId: string,
    status: NodeStatusName,
    error?: string,
  ) => void)[] = [];
  private readonly s = { connects: 0, reuses: 0, commands: 0, channels: 0 };

  constructor(private readonly options: SshPoolOptions) {}

  onStatus(listener: (nodeId: string, status: NodeStatusName, error?: string) => void): void {
    this.statusListeners.push(listener);
  }

  stats(): PoolStats {
    let activeSessions = 0;
    for (const e of this.entries.values()) activeSessions += e.active;
    return { ...this.s, activeSessions, connections: this.entries.size };
  }

  /** Run a command line on the node. Retries only when the connection could not be made. */
  async exec(target: SshTarget, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const attempts = opts.attempts ?? this.options.connectAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      let client: Client;
      let entry: Entry;
      try {
        entry = this.entry(target);
        client = await entry.ready;
      } catch (err) {
        const e = err as NodeError;
        if (e instanceof NodeError && !e.retryable) throw e;
        if (attempt >= attempts) throw e;
        await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
        continue;
      }
      await this.acquire(entry);
      try {
        this.s.commands++;
        return await this.run(client, command, opts);
      } catch (err) {
        // Only a session that could not even be opened is retried: the command never ran.
        if (!(err instanceof NodeError) || !err.retryable) throw err;
        this.drop(entry, err);
        if (attempt >= attempts) throw err;
      } finally {
        this.release(entry);
      }
    }
  }

  /**
   * A direct-tcpip channel through the node's connection to `host:port` as the node sees it
   * (what `ssh -L` does), connecting first when there is no connection (retried like
   * `exec`). It takes no session slot (OpenSSH's MaxSessions counts sessions, not forwarded
   * channels) and keeps the connection from its idle close while it is open. A refusal by
   * the node (nothing listens there, forwarding disabled) is INVALID_ARGUMENT: not retried.
   */
  async forwardOut(
    target: SshTarget,
    host: string,
    port: number,
    origin: { address: string; port: number } = { address: '127.0.0.1', port: 0 },
  ): Promise<ClientChannel> {
    const attempts = this.options.connectAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      let client: Client;
      let entry: Entry;
      try {
        entry = this.entry(target);
        client = await entry.ready;
      } catch (err) {
        const e = err as NodeError;
        if (e instanceof NodeError && !e.retryable) throw e;
        if (attempt >= attempts) throw e;
        await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
        continue;
      }
      const channel = await new Promise<ClientChannel>((resolve, reject) => {
        try {
          client.forwardOut(origin.address, origin.port, host, port, (err, ch) => {
            if (!err) resolve(ch);
            else
              reject(
                new NodeError(
                  NodeErrorCode.INVALID_ARGUMENT,
                  `node ${target.nodeId} refused a channel to ${host}:${port}: ${err.message}`,
                  { cause: err },
                ),
              );
          });
        } catch (err) {
          // ssh2 throws synchronously when the transport died under us.
          reject(
            new NodeError(
              NodeErrorCode.NODE_UNREACHABLE,
              `connection lost: ${(err as Error).message}`,
              { cause: err },
            ),
          );
        }
      }).catch((err: unknown) => {
        if (err instanceof NodeError && err.retryable) {
          this.drop(entry, err);
          if (attempt < attempts) return undefined;
        }
        throw err;
      });
      if (!channel) continue;
      this.s.channels++;
      entry.channels++;
      clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
      channel.once('close', () => {
        entry.channels--;
        this.armIdle(entry);
      });
      return channel;
    }
  }

  /** Close a node's connection (removed or changed node). */
  forget(nodeId: string): void {
    const e = this.entries.get(nodeId);
    if (e) this.drop(e, undefined);
  }

  async close(): Promise<void> {
    for (const e of [...this.entries.values()]) this.drop(e, undefined);
  }

  private entry(target: SshTarget): Entry {
    const existing = this.entries.get(target.nodeId);
    if (existing && !existing.closed && sameTarget(existing.target, target)) {
      this.s.reuses++;
      return existing;
    }
    if (existing) this.drop(existing, undefined);
    const client = new (ssh2().Client)();
    const entry: Entry = {
      target,
      client,
      ready: Promise.resolve(client),
      active: 0,
      channels: 0,
      waiting: [],
      idleTimer: undefined,
      closed: false,
    };
    this.entries.set(target.nodeId, entry);
    this.s.connects++;
    this.emitStatus(target.nodeId, 'connecting');
    let hostKeyError: NodeError | undefined;
    entry.ready = new Promise<Client>((resolve, reject) => {
      client.once('ready', () => {
        this.emitStatus(target.nodeId, 'connected');
        this.armIdle(entry);
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        let error: NodeError;
        if (hostKeyError) error = hostKeyError;
        else if (err.level === 'client-authentication') {
          error = new NodeError(
            NodeErrorCode.AUTH_FAILED,
            target.keyName
              ? `${target.username}@${target.host}:${target.port} refused the node's own key ${target.keyName}; authorise its public key on the node`
              : `${target.username}@${target.host}:${target.port} refused the hub's key; install it with \`switchboard node add … --install-key\` or POST /api/v1/nodes/{id}/install-key`,
            { cause: err },
          );
        } else
          error = new NodeError(
            NodeErrorCode.NODE_UNREACHABLE,
            `cannot reach ${target.host}:${target.port}: ${err.message}`,
            { cause: err },
          );
        this.drop(entry, error);
        reject(error);
      });
      client.once('close', () => {
        const wasUp = !entry.closed;
        this.drop(entry, undefined);
        if (wasUp)
          reject(
            new NodeError(
              NodeErrorCode.NODE_UNREACHABLE,
              `connection to ${target.host}:${target.port} closed`,
            ),
          );
      });
      let privateKey: string;
      try {
        privateKey = this.keyOf(target);
      } catch (err) {
        const error =
          err instanceof NodeError
            ? err
            : new NodeError(NodeErrorCode.AUTH_FAILED, (err as Error).message, { cause: err });
        this.drop(entry, error);
        reject(error);
        return;
      }
      client.connect({
        host: target.host,
        port: target.port,
        username: target.username,
        privateKey,
        readyTimeout: this.options.connectTimeoutMs,
        keepaliveInterval: this.options.keepaliveIntervalMs,
        keepaliveCountMax: 3,
        // Always verify: a pool that trusts any host key hands commands to whoever answers.
        hostVerifier: (key: Buffer) => {
          hostKeyError = this.options.knownHosts.check(target.host, target.port, key);
          return hostKeyError === undefined;
        },
      });
    });
    // A rejection nobody awaits yet must not crash the process.
    entry.ready.catch(() => undefined);
    return entry;
  }

  private keyOf(target: SshTarget): string {
    if (target.keyName !== undefined) {
      if (!this.options.nodeKey)
        throw new NodeError(
          NodeErrorCode.AUTH_FAILED,
          `node ${target.nodeId} names its own key, but this hub has no node keys configured`,
        );
      return this.options.nodeKey(target.keyName);
    }
    return typeof this.options.privateKey === 'function'
      ? this.options.privateKey()
      : this.options.privateKey;
  }

  private run(client: Client, command: string, opts: ExecOptions): Promise<ExecResult> {
    const t0 = performance.now();
    const timeoutMs = opts.timeoutMs ?? this.options.commandTimeoutMs;
    return new Promise((resolve, reject) => {
      const onSession = (err: Error | undefined, stream: ClientChannel): void => {
        if (err) {
          reject(
            new NodeError(
              NodeErrorCode.NODE_UNREACHABLE,
              `could not open a session: ${err.message}`,
              { cause: err },
            ),
          );
          return;
        }
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        let settled = false;
        const finish = (code: number | null, signal?: string): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            exitCode: timedOut ? null : code,
            signal,
            stdout,
            stderr,
            durationMs: Math.round(performance.now() - t0),
            timedOut,
          });
        };
        const timer = setTimeout(() => {
          timedOut = true;
          // Ask the remote side to kill the process and drop the channel. Do not wait for
          // the channel to close: a child of the command may hold its output open.
          try {
            stream.signal('KILL');
          } catch {
            // not supported by every server
          }
          stream.close();
          finish(null);
        }, timeoutMs);
        stream.on('data', (d: Buffer) => {
          const s = d.toString();
          stdout += s;
          opts.onOutput?.('stdout', s);
        });
        stream.stderr.on('data', (d: Buffer) => {
          const s = d.toString();
          stderr += s;
          opts.onOutput?.('stderr', s);
        });
        stream.on('close', (code: number | null, signal?: string) =>
          finish(code ?? null, signal ?? undefined),
        );
        if (opts.stdin !== undefined) stream.end(opts.stdin);
        else stream.end();
      };
      try {
        client.exec(command, onSession);
      } catch (err) {
        // ssh2 throws synchronously when the transport died under us.
        reject(
          new NodeError(
            NodeErrorCode.NODE_UNREACHABLE,
            `connection lost: ${(err as Error).message}`,
            { cause: err },
          ),
        );
      }
    });
  }

  private acquire(entry: Entry): Promise<void> {
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
    }
    if (entry.active < this.options.maxSessionsPerNode) {
      entry.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      entry.waiting.push(() => {
        entry.active++;
        resolve();
      }),
    );
  }

  private release(entry: Entry): void {
    entry.active--;
    const next = entry.waiting.shift();
    if (next) next();
    else if (entry.active === 0) this.armIdle(entry);
  }

  private armIdle(entry: Entry): void {
    if (entry.closed || entry.active > 0 || entry.channels > 0) return;
    clearTimeout(entry.idleTimer);
    entry.idleTimer = setTimeout(
      () => this.drop(entry, undefined, true),
      this.options.idleTimeoutMs,
    );
    entry.idleTimer.unref();
  }

  private drop(entry: Entry, error: NodeError | undefined, idle = false): void {
    if (entry.closed) return;
    entry.closed = true;
    clearTimeout(entry.idleTimer);
    if (this.entries.get(entry.target.nodeId) === entry) this.entries.delete(entry.target.nodeId);
    try {
      entry.client.end();
    } catch {
      // already closed
    }
    for (const w of entry.waiting.splice(0)) w();
    // Not reached is offline (with the reason); reached but refused (key, host key) is error.
    if (error)
      this.emitStatus(
        entry.target.nodeId,
        error.code === NodeErrorCode.NODE_UNREACHABLE ? 'offline' : 'error',
        error.message,
      );
    else if (!idle) this.emitStatus(entry.target.nodeId, 'offline');
  }

  private emitStatus(nodeId: string, status: NodeStatusName, error?: string): void {
    for (const l of this.statusListeners) l(nodeId, status, error);
  }
}

function sameTarget(a: SshTarget, b: SshTarget): boolean {
  return (
    a.host === b.host && a.port === b.port && a.username === b.username && a.keyName === b.keyName
  );
}
