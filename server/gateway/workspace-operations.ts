import { ErrorCode } from '../../protocol/index.js';
import { OPEN_GRANT } from '../auth/index.js';
import type { WorkspacesConfig } from '../config/workspaces-schema.js';
import { workspacesSchema } from '../config/workspaces-schema.js';
import {
  copyWorkspace,
  mayTransition,
  type NodeRecord,
  type ProviderKind,
  type UserRecord,
  type WorkspaceRecord,
  type WorkspaceServiceSpec,
  type WorkspaceStatusName,
} from '../core/index.js';
import type { Caller } from './caller.js';
import type { Engine } from './engine.js';
import type { NodeCommandRequest } from './node-executor.js';
import type { GatewayRules, NodeOperations } from './node-operations.js';
import { OperationError } from './operation-error.js';
import type {
  WorkspaceDriver,
  WorkspaceExtension,
  WorkspacePhase,
  WorkspaceTarget,
} from './workspace-driver.js';
import { WorkspaceServices } from './workspace-services.js';

export interface WorkspaceRequest {
  user: string;
  name: string;
  provider: ProviderKind;
  /** A node id or name; absent: the hub places it. */
  node?: string;
  repository?: string;
  image?: string;
  services: WorkspaceServiceSpec[];
}

/** What a delete, a stop or a key change could not do on the node. */
export class WorkspaceStepError extends OperationError {
  constructor(
    message: string,
    readonly workspace: WorkspaceRecord,
  ) {
    super(ErrorCode.NODE_UNREACHABLE, message);
  }
}

/** The hub itself, running a workspace's steps: every step is a node command on record. */
const SYSTEM: Caller = {
  grant: { ...OPEN_GRANT, subject: 'switchboard:workspaces', identity: 'hub:workspaces' },
};

class Cancelled extends Error {}

/** A copy, so a reply rendered later shows the state at the time of the answer. */
const copy = copyWorkspace;

function tail(s: string, n = 400): string {
  const t = s.trim();
  return t.length > n ? `…${t.slice(-n)}` : t;
}

/**
 * Workspaces, as part of the gateway (`gateway.workspaces`): who may see and change which
 * (the owner, whose token subject is its username, and admins), where a new one goes, and
 * the steps of its life on the node, each run as a recorded node command through
 * `gateway.nodes`. The core keeps the records, allocates the SSH port and decides which
 * status changes are legal; this class never sets a status the core has not accepted.
 *
 * The operations on one workspace run one after another (a per-workspace chain), so a
 * delete that arrives while the workspace is still being created waits for the creation to
 * stop at its next step and then removes whatever it made. The chain is this hub's: on the
 * Redis engine every request reaches the leader, which runs them all.
 */
export class WorkspaceOperations {
  private driver: WorkspaceDriver | undefined;
  private config: WorkspacesConfig = workspacesSchema.parse({});
  private readonly extensions: WorkspaceExtension[] = [];
  /** The last operation queued on each workspace. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Workspaces with an operation under way (start and stop are refused meanwhile). */
  private readonly busy = new Set<string>();
  /** Workspaces a delete is waiting for: their creation stops at the next step. */
  private readonly cancelled = new Set<string>();
  /** The workspaces' services and their forwards: the first extension (workspace-services.ts). */
  readonly services: WorkspaceServices;

  constructor(
    private readonly hub: Engine,
    private readonly rules: GatewayRules,
    private readonly nodes: NodeOperations,
  ) {
    this.services = new WorkspaceServices(hub, rules, nodes, {
      driver: () => this.driver,
      config: () => this.config,
      cancelled: (id) => this.cancelled.has(id),
      runSteps: async (node, ws, steps, what, bestEffort) => {
        const errors = await this.runList(steps, what, ws, node, bestEffort);
        if (errors.length) throw new Error(errors.join('; '));
      },
    });
    this.extend(this.services);
  }

  /** The hub's workspace driver (server/nodes attaches it with its node executor). */
  attach(driver: WorkspaceDriver): void {
    this.driver = driver;
  }

  configure(config: WorkspacesConfig): void {
    this.config = config;
  }

  get settings(): WorkspacesConfig {
    return this.config;
  }

  /** Add a readiness check and teardown step to every workspace (services, forwards). */
  extend(extension: WorkspaceExtension): void {
    this.extensions.push(extension);
  }

  /** Resolves once every operation queued on the workspace so far has finished. */
  settled(id: string): Promise<void> {
    return this.chains.get(id) ?? Promise.resolve();
  }

  // ------------------------------------------------------------------ reads

  /** The caller's workspaces (an admin: every one, or one user's). */
  list(caller: Caller, user?: string): WorkspaceRecord[] {
    this.rules.requireRole(caller, 'producer', 'read workspaces');
    const admin = caller.grant.role === 'admin';
    const owner = admin ? user : caller.grant.subject;
    const out: WorkspaceRecord[] = [];
    for (const w of this.hub.core.workspaces.workspaces.values())
      if (owner === undefined || w.user === owner) out.push(w);
    return out;
  }

  /** A workspace the caller may see; NOT_FOUND otherwise, so ids cannot be probed. */
  get(caller: Caller, id: string): WorkspaceRecord {
    this.rules.requireRole(caller, 'producer', 'read workspaces');
    const ws = this.hub.core.workspaces.workspaces.get(id);
    if (!ws || !mayActFor(caller, ws.user))
      throw new OperationError(ErrorCode.NOT_FOUND, `no workspace ${id}`);
    return ws;
  }

  /** The node a workspace runs on (its address is where its SSH port is). */
  nodeOf(ws: WorkspaceRecord): NodeRecord | undefined {
    return this.hub.core.nodes.nodes.get(ws.nodeId);
  }

  /** The login user of its SSH (the driver's answer; the node's user for the process provider). */
  sshUser(ws: WorkspaceRecord): string {
    const node = this.nodeOf(ws);
    return node && this.driver ? this.driver.sshUser(ws, node) : 'root';
  }

  /** Counts for GET /api/v1/status. */
  summary(): {
    users: number;
    workspaces: Record<WorkspaceStatusName, number>;
    ports: { from: number; to: number; used: number; free: number };
  } {
    const w = this.hub.core.workspaces;
    const byStatus: Record<WorkspaceStatusName, number> = {
      creating: 0,
      running: 0,
      stopped: 0,
      failed: 0,
      deleted: 0,
    };
    for (const ws of w.workspaces.values()) byStatus[ws.status]++;
    const range = this.config.sshPorts;
    const used = w.ports.usedIn(range);
    return {
      users: w.users.size,
      workspaces: byStatus,
      ports: { ...range, used, free: range.to - range.from + 1 - used },
    };
  }

  // ------------------------------------------------------------------ changes

  /**
   * Create a workspace: placed, its port allocated and the record durable in `creating`
   * before this resolves; it is then made, started and checked in the background, and
   * becomes `running` (or `failed`, with whatever it made removed).
   */
  async create(caller: Caller, req: WorkspaceRequest): Promise<WorkspaceRecord> {
    this.rules.requireRole(caller, 'producer', 'create workspaces');
    if (!mayActFor(caller, req.user))
      throw new OperationError(
        ErrorCode.FORBIDDEN,
        `a token for ${caller.grant.subject ?? 'nobody'} cannot create workspaces for ${req.user}`,
      );
    this.rules.gateNewWork('workspaces');
    const user = this.user(req.user);
    const driver = this.requireDriver();
    const node = this.place(req);
    const id = `ws-${this.hub.ids.next()}`;
    // The plan is checked before anything exists: a spec the provider cannot run is a 400.
    const draft: WorkspaceRecord = {
      id,
      user: req.user,
      name: req.name,
      provider: req.provider,
      nodeId: node.id,
      repository: req.repository,
      image: req.image,
      services: req.services,
      serviceStates: {},
      sshPort: this.config.sshPorts.from,
      status: 'creating',
      lastError: undefined,
      createdAt: 0,
      updatedAt: 0,
    };
    this.plan(driver, 'create', { workspace: draft, node, publicKey: user.publicKey });
    this.services.check(driver, draft, node);
    await this.rules.durably({
      type: 'workspace.create',
      now: this.hub.now(),
      workspace: {
        id,
        user: req.user,
        name: req.name,
        provider: req.provider,
        nodeId: node.id,
        ...(req.repository === undefined ? {} : { repository: req.repository }),
        ...(req.image === undefined ? {} : { image: req.image }),
        services: req.services,
      },
      ports: { from: this.config.sshPorts.from, to: this.config.sshPorts.to },
    });
    const ws = this.hub.core.workspaces.workspaces.get(id)!;
    const answer = copy(ws);
    void this.serial(id, () => this.bringUp(id, 'create'));
    return answer;
  }

  /** Start a stopped or failed workspace; resolves at once, `running` once its checks pass. */
  start(caller: Caller, id: string): WorkspaceRecord {
    const ws = this.get(caller, id);
    this.rules.gateNewWork('workspaces');
    this.requireDriver();
    this.refuseBusy(ws, 'start');
    if (ws.status !== 'stopped' && ws.status !== 'failed')
      throw new OperationError(
        ErrorCode.INVALID_STATE,
        `workspace ${id} is ${ws.status}; only a stopped or failed one can be started`,
      );
    const mode = ws.status === 'failed' ? 'recreate' : 'start';
    const answer = copy(ws);
    void this.serial(id, () => this.bringUp(id, mode));
    return answer;
  }

  /** Stop a running (or failed) workspace; resolves once it is `stopped`. */
  async stop(caller: Caller, id: string): Promise<WorkspaceRecord> {
    const ws = this.get(caller, id);
    this.refuseBusy(ws, 'stop');
    if (!mayTransition(ws.status, 'stopped'))
      throw new OperationError(
        ErrorCode.INVALID_STATE,
        `workspace ${id} is ${ws.status}; only a running or failed one can be stopped`,
      );
    const driver = this.requireDriver();
    await this.serial(id, async () => {
      const node = this.nodeOf(ws);
      if (!node) return this.transition(id, 'failed', `its node ${ws.nodeId} is gone`);
      const errors = await this.tearDown(driver, ws, node, 'stop');
      if (errors.length === 0) return this.transition(id, 'stopped');
      await this.transition(id, 'failed', `stop incomplete: ${errors.join('; ')}`);
    });
    if (ws.status !== 'stopped')
      throw new WorkspaceStepError(ws.lastError ?? 'stop failed', copy(ws));
    return copy(ws);
  }

  /**
   * Delete: stop whatever runs, remove it from the node, release the port. Every removal
   * step is tried even when one fails; if any failed, the workspace is `failed` with the
   * reason and keeps its port, and a second delete tries again: nothing is forgotten while it
   * may still exist on the node.
   */
  async delete(caller: Caller, id: string): Promise<WorkspaceRecord> {
    const ws = this.get(caller, id);
    const driver = this.requireDriver();
    this.cancelled.add(id);
    try {
      await this.serial(id, async () => {
        const node = this.nodeOf(ws);
        // A node that was removed took its workspaces' processes out of reach: nothing to run.
        const errors = node ? await this.tearDown(driver, ws, node, 'delete') : [];
        if (errors.length === 0) return this.transition(id, 'deleted');
        await this.transition(id, 'failed', `delete incomplete: ${errors.join('; ')}`);
      });
    } finally {
      this.cancelled.delete(id);
    }
    if (ws.status !== 'deleted')
      throw new WorkspaceStepError(ws.lastError ?? 'delete failed', copy(ws));
    return copy(ws);
  }

  /**
   * The owner's key changed: put the new one in each running workspace (stopped ones get it
   * at their next start; one being created, once it runs). Resolves with what happened in
   * each workspace that was running.
   */
  async replaceKeys(user: UserRecord): Promise<{ id: string; error?: string }[]> {
    const driver = this.driver;
    if (!driver) return [];
    const waits: Promise<{ id: string; error?: string }>[] = [];
    for (const ws of this.hub.core.workspaces.workspaces.values()) {
      if (ws.user !== user.username) continue;
      if (ws.status !== 'running' && ws.status !== 'creating') continue;
      const wasRunning = ws.status === 'running';
      let error: string | undefined;
      const done = this.serial(ws.id, async () => {
        const node = this.nodeOf(ws);
        if (ws.status !== 'running' || !node) return;
        const errs = await this.runSteps(
          driver,
          'set-key',
          { workspace: ws, node, publicKey: user.publicKey },
          true,
        );
        if (errs.length) error = errs.join('; ');
      });
      if (wasRunning) waits.push(done.then(() => ({ id: ws.id, ...(error ? { error } : {}) })));
    }
    return Promise.all(waits);
  }

  /**
   * After a start (recovery done): a workspace a restart left in `creating` is made again
   * from the beginning (whatever the cut-off attempt made is removed first, then created
   * as if just asked for), since its create was accepted and nobody asked to stop it; a
   * running one's services are checked again. What cannot come up ends `failed`, cleaned up.
   */
  resume(): void {
    if (!this.driver) return;
    for (const ws of this.hub.core.workspaces.workspaces.values()) {
      if (ws.status === 'creating' && !this.chains.has(ws.id))
        void this.serial(ws.id, () => this.bringUp(ws.id, 'recreate'));
      else if (ws.status === 'running') {
        const node = this.nodeOf(ws);
        if (node) this.services.resumeMonitor(ws, node);
      }
    }
  }

  /** The hub stops: no more service checks. */
  close(): void {
    this.services.close();
  }

  // ------------------------------------------------------------------ services

  /** The workspace's services with their status, last check and forwards. */
  serviceList(caller: Caller, id: string): ReturnType<WorkspaceServices['list']> {
    return this.services.list(this.get(caller, id));
  }

  /** Open a hub port forwarding to one of the workspace's services (closed with it). */
  forwardService(
    caller: Caller,
    id: string,
    service: string,
    localPort?: number,
  ): ReturnType<WorkspaceServices['forward']> {
    const ws = this.get(caller, id);
    this.rules.gateNewWork('port forwards');
    return this.services.forward(ws, service, localPort);
  }

  serviceForwards(caller: Caller, id: string): ReturnType<WorkspaceServices['forwardsOf']> {
    return this.services.forwardsOf(this.get(caller, id));
  }

  async closeServiceForward(caller: Caller, id: string, forwardId: string): Promise<void> {
    const ws = this.get(caller, id);
    if (!(await this.services.closeForward(ws, forwardId)))
      throw new OperationError(ErrorCode.NOT_FOUND, `workspace ${id} has no forward ${forwardId}`);
  }

  // ------------------------------------------------------------------ steps

  /** Make (or start) it on the node, wait for its SSH and the extensions, then `running`. */
  private async bringUp(id: string, mode: 'create' | 'start' | 'recreate'): Promise<void> {
    const ws = this.hub.core.workspaces.workspaces.get(id);
    const driver = this.driver;
    if (!ws || !driver) return;
    const node = this.nodeOf(ws);
    const user = this.hub.core.workspaces.users.get(ws.user);
    if (!node || !user)
      return this.transition(id, 'failed', node ? `no user ${ws.user}` : 'its node is gone');
    const target: WorkspaceTarget = { workspace: ws, node, publicKey: user.publicKey };
    try {
      if (mode === 'recreate') {
        // Whatever the earlier attempt left (its services too, which a restart may have
        // cut off mid-start) goes before the workspace is made afresh.
        await this.tearDownExtensions(ws, node, 'delete');
        await this.runSteps(driver, 'remove', target, true);
      }
      await this.runSteps(driver, mode === 'start' ? 'start' : 'create', target, false);
      await driver.waitForSsh(node.address, ws.sshPort, this.config.healthTimeoutMs, () =>
        this.cancelled.has(id),
      );
      for (const e of this.extensions) if (e.ready) await e.ready(ws, node);
      if (this.cancelled.has(id)) return;
      await this.transition(id, 'running');
    } catch (err) {
      // A delete is waiting: it removes everything, and decides the status.
      if (this.cancelled.has(id) || err instanceof Cancelled) return;
      const reason = (err as Error).message;
      // Undo what this attempt made: a failed create leaves nothing on the node, a failed
      // start leaves the workspace as stopped would (its files kept). Services first.
      const undo = await this.tearDownExtensions(ws, node, mode === 'start' ? 'stop' : 'delete');
      undo.push(
        ...(await this.runSteps(driver, mode === 'start' ? 'stop' : 'remove', target, true)),
      );
      const cleanup = undo.length ? ` (and cleaning up failed: ${undo.join('; ')})` : '';
      await this.transition(id, 'failed', `${reason}${cleanup}`);
    }
  }

  /** The extensions' teardowns, then the provider's stop or remove steps; every error collected. */
  private async tearDown(
    driver: WorkspaceDriver,
    ws: WorkspaceRecord,
    node: NodeRecord,
    reason: 'stop' | 'delete',
  ): Promise<string[]> {
    const errors = await this.tearDownExtensions(ws, node, reason);
    const user = this.hub.core.workspaces.users.get(ws.user);
    const target = { workspace: ws, node, publicKey: user?.publicKey ?? '' };
    errors.push(
      ...(await this.runSteps(driver, reason === 'stop' ? 'stop' : 'remove', target, true)),
    );
    return errors;
  }

  /** Every extension's teardown, last registered first; their errors collected. */
  private async tearDownExtensions(
    ws: WorkspaceRecord,
    node: NodeRecord,
    reason: 'stop' | 'delete',
  ): Promise<string[]> {
    const errors: string[] = [];
    for (const e of [...this.extensions].reverse()) {
      if (!e.teardown) continue;
      try {
        await e.teardown(ws, node, reason);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    return errors;
  }

  /**
   * Run a phase's steps as node commands, in order. Strict: the first failure throws (and a
   * pending delete stops the sequence); best effort: every step runs and the failures are
   * returned.
   */
  private async runSteps(
    driver: WorkspaceDriver,
    phase: WorkspacePhase,
    target: WorkspaceTarget,
    bestEffort: boolean,
  ): Promise<string[]> {
    let steps: NodeCommandRequest[];
    try {
      steps = this.plan(driver, phase, target);
    } catch (err) {
      if (!bestEffort) throw err;
      return [(err as Error).message];
    }
    return this.runList(steps, phase, target.workspace, target.node, bestEffort);
  }

  /** Run node commands as recorded steps, in order (see runSteps for strict and best effort). */
  private async runList(
    steps: NodeCommandRequest[],
    phase: string,
    ws: WorkspaceRecord,
    node: NodeRecord,
    bestEffort: boolean,
  ): Promise<string[]> {
    const errors: string[] = [];
    for (const [i, step] of steps.entries()) {
      if (!bestEffort && this.cancelled.has(ws.id)) throw new Cancelled();
      const what = `${phase} step ${i + 1}/${steps.length}`;
      let error: string | undefined;
      try {
        const { command } = await this.nodes.dispatch(
          SYSTEM,
          node.id,
          { ...step, timeoutMs: step.timeoutMs ?? this.config.stepTimeoutMs },
          true,
        );
        if (command.status !== 'succeeded')
          error = `${what} (command ${command.id}) ${command.status}${
            command.exitCode === null ? '' : ` with exit code ${command.exitCode}`
          }: ${tail(command.stderr || command.stdout || command.error || '')}`;
      } catch (err) {
        error = `${what}: ${(err as Error).message}`;
      }
      if (error === undefined) continue;
      if (!bestEffort) throw new Error(error);
      errors.push(error);
    }
    return errors;
  }

  private plan(
    driver: WorkspaceDriver,
    phase: WorkspacePhase,
    target: WorkspaceTarget,
  ): NodeCommandRequest[] {
    try {
      return driver.steps(phase, target);
    } catch (err) {
      throw new OperationError(ErrorCode.INVALID_FRAME, (err as Error).message);
    }
  }

  /** A status change through the core; a refused one (the workspace is gone) changes nothing. */
  private async transition(id: string, status: WorkspaceStatusName, error?: string): Promise<void> {
    try {
      await this.rules.durably({
        type: 'workspace.status',
        now: this.hub.now(),
        workspaceId: id,
        status,
        ...(error === undefined ? {} : { error: error.slice(0, 4096) }),
      });
    } catch {
      // Not found (deleted meanwhile) or illegal: the core keeps what it has. A store
      // failure is the hub's to report (it logs and stops).
    }
  }

  /** Queue `op` behind the workspace's earlier operations. */
  private serial(id: string, op: () => Promise<void>): Promise<void> {
    const run = async () => {
      this.busy.add(id);
      try {
        await op();
      } finally {
        this.busy.delete(id);
      }
    };
    const prev = this.chains.get(id) ?? Promise.resolve();
    const next = prev.then(run, run);
    this.chains.set(id, next);
    void next.finally(() => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    });
    return next;
  }

  // ------------------------------------------------------------------ helpers

  private user(username: string): UserRecord {
    const user = this.hub.core.workspaces.users.get(username);
    if (!user) throw new OperationError(ErrorCode.NOT_FOUND, `no user ${username}`);
    return user;
  }

  private requireDriver(): WorkspaceDriver {
    if (!this.driver)
      throw new OperationError(
        ErrorCode.NODE_UNREACHABLE,
        'this hub has no node runner configured',
      );
    return this.driver;
  }

  private refuseBusy(ws: WorkspaceRecord, what: string): void {
    if (this.busy.has(ws.id) || this.chains.has(ws.id))
      throw new OperationError(
        ErrorCode.INVALID_STATE,
        `workspace ${ws.id} is ${ws.status} with an operation under way; ${what} it once that is done`,
      );
  }

  /**
   * The named node (it must offer the provider), or the hub's choice: of the nodes offering
   * it and run by the hub (not by an agent), reachable ones first, then the one holding the
   * fewest workspaces, then by name, so the same state always gives the same answer.
   */
  private place(req: WorkspaceRequest): NodeRecord {
    const all = [...this.hub.core.nodes.nodes.values()];
    const fits = (n: NodeRecord) => n.providers.includes(req.provider) && n.agent === undefined;
    if (req.node !== undefined) {
      const node = all.find((n) => n.id === req.node) ?? all.find((n) => n.name === req.node);
      if (!node) throw new OperationError(ErrorCode.NOT_FOUND, `no node ${req.node}`);
      if (!fits(node))
        throw new OperationError(
          ErrorCode.NO_SUITABLE_NODE,
          node.agent !== undefined
            ? `node ${node.name} runs its commands through an agent; workspaces need the hub's SSH`
            : `node ${node.name} does not offer the ${req.provider} provider (it offers ${node.providers.join(', ') || 'none'})`,
        );
      return node;
    }
    const load = new Map<string, number>();
    for (const w of this.hub.core.workspaces.workspaces.values())
      load.set(w.nodeId, (load.get(w.nodeId) ?? 0) + 1);
    const down = (n: NodeRecord) => (n.status === 'error' || n.status === 'offline' ? 1 : 0);
    const best = all
      .filter(fits)
      .sort(
        (a, b) =>
          down(a) - down(b) ||
          (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) ||
          a.name.localeCompare(b.name),
      )[0];
    if (!best)
      throw new OperationError(
        ErrorCode.NO_SUITABLE_NODE,
        `no node offers the ${req.provider} provider; register one with it`,
      );
    return best;
  }
}

/** Admins act for anyone; anyone else only for the user their token's subject names. */
export function mayActFor(caller: Caller, username: string): boolean {
  return caller.grant.role === 'admin' || caller.grant.subject === username;
}
