import type { Duplex } from 'node:stream';
import { codesSentBy, ErrorCode, type WireErrorCodeName } from '../../protocol/index.js';
import type { Role } from '../auth/index.js';
import { PROVIDER_KINDS } from '../core/index.js';
import type {
  Command,
  CommandResult,
  CommandStatusName,
  NodeCommandRecord,
  NodeRecord,
  NodeSpec,
  NodeStatusName,
} from '../core/index.js';
import type { Caller } from './caller.js';
import type { Engine } from './engine.js';
import type {
  CommandOutcome,
  ForwardInfo,
  ForwardSpec,
  InstallKeyCredentials,
  NodeCommandRequest,
  NodeExecutor,
  NodeForwarder,
  ServicesReport,
} from './node-executor.js';
import { OperationError } from './operation-error.js';

/** The gateway's building blocks node operations share (the Gateway provides them). */
export interface GatewayRules {
  requireRole(caller: Caller, role: Role, what: string): void;
  gateNewWork(what: string): void;
  durably(cmd: Command): Promise<CommandResult & { ok: true }>;
}

/**
 * A command that never started: the node could not be reached (NODE_UNREACHABLE), or its
 * arguments were refused before anything ran (INVALID_FRAME). Its record comes along: the
 * failed attempt is on record like any other.
 */
export class CommandNotStarted extends OperationError {
  constructor(
    code: WireErrorCodeName,
    message: string,
    readonly command: NodeCommandRecord,
  ) {
    super(code, message);
  }
}

export interface DispatchOutcome {
  command: NodeCommandRecord;
  /** The hub ran it and recorded its result; false: it runs on (or waits for its agent). */
  finished: boolean;
}

const NodeCode = codesSentBy('nodes');

/** Output kept per stream in a command record; the rest is cut (and the cut says how much). */
const MAX_OUTPUT = 64 * 1024;

function clip(s: string): string {
  return s.length > MAX_OUTPUT
    ? `${s.slice(0, MAX_OUTPUT)}\n[… ${s.length - MAX_OUTPUT} more bytes cut]`
    : s;
}

/** A forward the node layer refused, as the code the API answers with. */
function forwardRefusal(err: unknown): unknown {
  if (err instanceof OperationError) return err;
  const code = (err as { code?: unknown }).code;
  const message = (err as Error).message;
  if (code === ErrorCode.FORWARD_LIMIT || code === ErrorCode.PORT_IN_USE)
    return new OperationError(code, message);
  if (code === NodeCode.INVALID_ARGUMENT)
    return new OperationError(ErrorCode.INVALID_FRAME, message);
  return new OperationError(ErrorCode.NODE_UNREACHABLE, message);
}

function notStarted(error: string): CommandOutcome {
  return { status: 'error', exitCode: null, stdout: '', stderr: '', error, durationMs: 0 };
}

/**
 * Nodes and their commands, as part of the gateway (`gateway.nodes`): who may register,
 * change, read and command nodes (admins), who may see and report a command (the agent
 * subject it was dispatched to, or an admin; never over a result the hub records itself),
 * the record of every command before it runs, and the wait for durability. The executor
 * (server/nodes, over SSH) only runs what it is given.
 */
export class NodeOperations {
  private executor: NodeExecutor | undefined;
  private seq = 0;

  constructor(
    private readonly hub: Engine,
    private readonly rules: GatewayRules,
  ) {}

  /** The hub's node executor (one per hub; a later one replaces it). */
  attach(executor: NodeExecutor): void {
    this.executor = executor;
  }

  // ------------------------------------------------------------------ nodes

  list(caller: Caller): NodeRecord[] {
    this.rules.requireRole(caller, 'admin', 'read nodes');
    return [...this.hub.core.nodes.nodes.values()];
  }

  /** A node by id, or by name (the CLI addresses nodes by name). */
  node(caller: Caller, ref: string): NodeRecord {
    this.rules.requireRole(caller, 'admin', 'read nodes');
    const nodes = this.hub.core.nodes.nodes;
    const byId = nodes.get(ref);
    if (byId) return byId;
    for (const n of nodes.values()) if (n.name === ref) return n;
    throw new OperationError(ErrorCode.NOT_FOUND, `no node ${ref}`);
  }

  async register(
    caller: Caller,
    spec: Omit<NodeSpec, 'id'> & { id?: string },
  ): Promise<NodeRecord> {
    this.rules.requireRole(caller, 'admin', 'register nodes');
    this.rules.gateNewWork('nodes');
    const id = spec.id ?? `node-${this.hub.ids.next()}`;
    await this.rules.durably({ type: 'node.register', now: this.hub.now(), node: { ...spec, id } });
    return this.hub.core.nodes.nodes.get(id)!;
  }

  async update(
    caller: Caller,
    ref: string,
    patch: Partial<Omit<NodeSpec, 'id'>>,
  ): Promise<NodeRecord> {
    const node = this.node(caller, ref);
    await this.rules.durably({ type: 'node.update', now: this.hub.now(), nodeId: node.id, patch });
    this.executor?.forget(node.id); // address or credentials may have changed: reconnect fresh
    return node;
  }

  async remove(caller: Caller, ref: string): Promise<NodeRecord> {
    const node = this.node(caller, ref);
    await this.rules.durably({ type: 'node.remove', now: this.hub.now(), nodeId: node.id });
    // Its forwards go with it, ports free before the answer: nothing reaches a removed node.
    await this.executor?.forwards?.closeNode(node.id);
    this.executor?.forget(node.id);
    return node;
  }

  // ------------------------------------------------------------------ port forwards

  /** Open a port on the hub that carries each connection to `spec.host:port` on the node. */
  openForward(caller: Caller, ref: string, spec: Omit<ForwardSpec, 'owner'>): Promise<ForwardInfo> {
    this.rules.requireRole(caller, 'admin', 'forward node ports');
    return this.forwardFor(this.node(caller, ref).id, spec);
  }

  forwardsOf(caller: Caller, ref: string): ForwardInfo[] {
    const node = this.node(caller, ref);
    return this.executor?.forwards?.list(node.id) ?? [];
  }

  forward(caller: Caller, ref: string, forwardId: string): ForwardInfo {
    const node = this.node(caller, ref);
    const f = this.executor?.forwards?.get(forwardId);
    if (!f || f.nodeId !== node.id)
      throw new OperationError(ErrorCode.NOT_FOUND, `no forward ${forwardId} on node ${ref}`);
    return f;
  }

  /** Close a forward: its port is free and its connections cut when this resolves. */
  async closeForward(caller: Caller, ref: string, forwardId: string): Promise<ForwardInfo> {
    const f = this.forward(caller, ref, forwardId);
    await this.executor!.forwards!.close(f.id);
    return f;
  }

  /**
   * A forward for the hub's own features (a workspace's service): no caller, because the
   * operation that needs it judged its caller already. `spec.owner` ties it to its owner,
   * closed together with `closeForwardsOf(owner)`.
   */
  async forwardFor(nodeId: string, spec: ForwardSpec): Promise<ForwardInfo> {
    const node = this.hub.core.nodes.nodes.get(nodeId);
    if (!node) throw new OperationError(ErrorCode.NOT_FOUND, `no node ${nodeId}`);
    if (node.agent)
      throw new OperationError(
        ErrorCode.INVALID_STATE,
        `node ${node.name} runs its commands through agent ${node.agent}; the hub has no SSH connection to forward over`,
      );
    this.rules.gateNewWork('port forwards');
    const forwards = this.forwarder();
    try {
      return await forwards.open(node, spec);
    } catch (err) {
      throw forwardRefusal(err);
    }
  }

  /** The forwards of an owner (a workspace's), for the hub's own features: no caller. */
  forwardsOwnedBy(owner: string): ForwardInfo[] {
    return (this.executor?.forwards?.list() ?? []).filter((f) => f.owner === owner);
  }

  /** Close one forward for the hub's own features (the owner was checked by the caller). */
  closeForwardById(id: string): Promise<boolean> {
    return this.executor?.forwards?.close(id) ?? Promise.resolve(false);
  }

  /** Close every forward of an owner (a workspace being deleted); how many were open. */
  closeForwardsOf(owner: string): Promise<number> {
    return this.executor?.forwards?.closeOwner(owner) ?? Promise.resolve(0);
  }

  private forwarder(): NodeForwarder {
    const f = this.executor?.forwards;
    if (!f)
      throw new OperationError(
        ErrorCode.INVALID_FRAME,
        'this hub has no SSH runner: it cannot forward ports',
      );
    return f;
  }

  /** A node by id, for the hub's own bookkeeping (forwards, the probe): no caller. */
  known(nodeId: string): NodeRecord | undefined {
    return this.hub.core.nodes.nodes.get(nodeId);
  }

  /**
   * Run a request on a node without a record: the hub's own health checks, which would
   * otherwise fill the command log every few seconds. Rejects when it could not start.
   */
  runUnrecorded(node: NodeRecord, req: NodeCommandRequest): Promise<CommandOutcome> {
    if (!this.executor) return Promise.reject(new Error('this hub has no node runner configured'));
    return this.executor.run(node, req);
  }

  /** A channel to host:port on the node's side (a service check); rejects when none opens. */
  connect(node: NodeRecord, host: string, port: number): Promise<Duplex> {
    const connect = this.executor?.connect;
    if (!connect)
      return Promise.reject(
        new Error('this hub has no SSH runner: it cannot reach ports on nodes'),
      );
    return connect(node, host, port);
  }

  /** Every node, for the hub's own bookkeeping (the probe): no caller. */
  everyNode(): NodeRecord[] {
    return [...this.hub.core.nodes.nodes.values()];
  }

  /** The services on the nodes (all, or the one named by id or name), as each reports them. */
  services(caller: Caller, ref?: string): Promise<ServicesReport> {
    const nodes = this.list(caller).filter((n) => !ref || n.id === ref || n.name === ref);
    if (!this.executor) return Promise.resolve({ services: [], errors: [] });
    return this.executor.services(nodes);
  }

  /** Install the hub's public key on a node, logging in once with `credentials`. */
  async installKey(
    caller: Caller,
    ref: string,
    credentials: InstallKeyCredentials,
  ): Promise<{ node: NodeRecord; key: 'installed' | 'present' }> {
    const node = this.node(caller, ref);
    const install = this.executor?.installKey;
    if (!install) throw new OperationError(ErrorCode.INVALID_FRAME, 'this hub has no SSH runner');
    try {
      return { node, key: await install(node, credentials) };
    } catch (err) {
      throw new OperationError(ErrorCode.NODE_UNREACHABLE, (err as Error).message);
    }
  }

  /** A connection's status changed: the hub's own bookkeeping, no caller and no reply. */
  recordStatus(nodeId: string, status: NodeStatusName, error?: string): void {
    const node = this.hub.core.nodes.nodes.get(nodeId);
    if (!node) return;
    // A node known down that is tried again is not news (the probe tries every interval);
    // the attempt's outcome is. Nor is an unchanged refusal: it would only fill the log.
    if (status === 'connecting' && (node.status === 'offline' || node.status === 'error')) return;
    if (status !== 'connected' && node.status === status && node.lastError === error) return;
    this.hub.execute({
      type: 'node.status',
      now: this.hub.now(),
      nodeId,
      status,
      ...(error ? { error } : {}),
    });
  }

  // ------------------------------------------------------------------ commands

  /**
   * Record a command (durably, before anything runs) and run it. A node with an `agent` only
   * gets the record: the agent runs it and reports. Otherwise the executor runs it; with
   * `wait` the promise settles once the result is durable (a command that never started is
   * a CommandNotStarted), without it as soon as the command is under way.
   */
  async dispatch(
    caller: Caller,
    ref: string,
    req: NodeCommandRequest,
    wait: boolean,
  ): Promise<DispatchOutcome> {
    const node = this.node(caller, ref);
    const provider = req.provider ?? (req.type === 'exec' ? undefined : node.providers[0]);
    if (req.type !== 'exec' && !provider)
      throw new OperationError(
        ErrorCode.INVALID_FRAME,
        `node ${node.name} has no provider; give "provider" (${PROVIDER_KINDS.join(', ')})`,
      );
    this.rules.gateNewWork('node commands');
    const id = `cmd-${this.hub.ids.next()}-${(++this.seq).toString(36)}`;
    await this.rules.durably({
      type: 'node.command',
      now: this.hub.now(),
      command: {
        id,
        nodeId: node.id,
        type: req.type,
        action: req.action,
        args: req.args,
        provider,
        ...(node.agent ? { agent: node.agent } : {}),
      },
    });
    // Held from here: the core updates it in place, and drops it from the map with its node.
    const command = this.hub.core.nodes.commands.get(id)!;
    if (node.agent) return { command, finished: false };
    await this.rules.durably({ type: 'command.started', now: this.hub.now(), commandId: id });
    const ran = this.run(node, command, { ...req, provider });
    if (!wait) {
      // Nobody waits: a result that cannot be recorded (the node was removed meanwhile, the
      // store failed, which it logs) leaves the record as it was.
      ran.catch(() => undefined);
      return { command, finished: false };
    }
    const refused = await ran;
    if (refused !== undefined)
      throw new CommandNotStarted(
        refused,
        command.error ?? `command ${id} could not be started`,
        command,
      );
    return { command, finished: true };
  }

  /** Commands the caller may see (an agent: those dispatched to it), optionally by status. */
  commands(caller: Caller, status?: CommandStatusName): NodeCommandRecord[] {
    this.rules.requireRole(caller, 'worker', 'read node commands');
    const out: NodeCommandRecord[] = [];
    for (const c of this.hub.core.nodes.commands.values())
      if (this.mayReport(caller, c) && (status === undefined || c.status === status)) out.push(c);
    return out;
  }

  /** The command, if the caller may see it; NOT_FOUND otherwise, so ids cannot be probed. */
  command(caller: Caller, commandId: string): NodeCommandRecord {
    this.rules.requireRole(caller, 'worker', 'read node commands');
    const c = this.hub.core.nodes.commands.get(commandId);
    if (!c || !this.mayReport(caller, c))
      throw new OperationError(ErrorCode.NOT_FOUND, `no command ${commandId}`);
    return c;
  }

  /** An agent reports the result of a command dispatched to it; never replaces one. */
  async report(
    caller: Caller,
    commandId: string,
    outcome: CommandOutcome,
  ): Promise<NodeCommandRecord> {
    const c = this.command(caller, commandId);
    // What the hub's own runner runs, only the hub reports: anything else would let a caller
    // replace real output with its own while the command still runs.
    if (!c.agent)
      throw new OperationError(
        ErrorCode.INVALID_STATE,
        `command ${c.id} is run by the hub, which records its result itself`,
      );
    await this.finish(c.id, outcome);
    return c;
  }

  /** Admins may see and report any command; anyone else only those dispatched to its subject. */
  private mayReport(caller: Caller, c: NodeCommandRecord): boolean {
    if (caller.grant.role === 'admin') return true;
    return c.agent !== undefined && caller.grant.subject === c.agent;
  }

  /**
   * Run a recorded command and record its result durably. Resolves with the code that says
   * why it never started (INVALID_FRAME for refused arguments, else NODE_UNREACHABLE), or
   * undefined when it ran, whatever its exit code.
   */
  private async run(
    node: NodeRecord,
    command: NodeCommandRecord,
    req: NodeCommandRequest,
  ): Promise<WireErrorCodeName | undefined> {
    let outcome: CommandOutcome;
    let refused: WireErrorCodeName | undefined;
    try {
      if (!this.executor) throw new Error('this hub has no node runner configured');
      outcome = await this.executor.run(node, req);
    } catch (err) {
      // Executors name the reason with a node code (server/nodes NodeError); anything else
      // is a node that could not be reached.
      const code = (err as { code?: unknown }).code;
      refused =
        code === NodeCode.INVALID_ARGUMENT ? ErrorCode.INVALID_FRAME : ErrorCode.NODE_UNREACHABLE;
      outcome = notStarted((err as Error).message);
    }
    await this.finish(command.id, outcome);
    return refused;
  }

  private finish(commandId: string, outcome: CommandOutcome): Promise<unknown> {
    return this.rules.durably({
      type: 'command.result',
      now: this.hub.now(),
      commandId,
      status: outcome.status,
      exitCode: outcome.exitCode,
      stdout: clip(outcome.stdout),
      stderr: clip(outcome.stderr),
      ...(outcome.error ? { error: outcome.error } : {}),
      durationMs: outcome.durationMs,
    });
  }
}
