import type { Duplex } from 'node:stream';
import { ErrorCode } from '../../protocol/index.js';
import {
  serviceOrder,
  type NodeRecord,
  type ServiceStatusName,
  type WorkspaceRecord,
  type WorkspaceServiceSpec,
  type WorkspaceServiceState,
} from '../core/index.js';
import type { WorkspacesConfig } from '../config/workspaces-schema.js';
import type { Engine } from './engine.js';
import type { ForwardInfo, NodeCommandRequest } from './node-executor.js';
import type { GatewayRules, NodeOperations } from './node-operations.js';
import { OperationError } from './operation-error.js';
import type { WorkspaceDriver, WorkspaceExtension } from './workspace-driver.js';

/** The outcome of a service's last check, as this hub saw it (live: a restart forgets it). */
export interface ServiceCheck {
  at: number;
  ok: boolean;
  durationMs: number;
  error: string | undefined;
}

/** A service as GET /api/v1/workspaces/:id/services shows it. */
export interface ServiceView {
  spec: WorkspaceServiceSpec;
  state: WorkspaceServiceState;
  lastCheck: ServiceCheck | undefined;
  forwards: ForwardInfo[];
}

/** What WorkspaceServices needs of WorkspaceOperations (which owns the driver and the steps). */
export interface ServiceHost {
  driver(): WorkspaceDriver | undefined;
  config(): WorkspacesConfig;
  /** A delete is waiting for this workspace: stop starting its services. */
  cancelled(id: string): boolean;
  /**
   * Run node commands as recorded steps, in order. Strict: the first failure throws, and so
   * does a delete waiting for the workspace; best effort (teardown): every step runs and
   * the failures are thrown together at the end.
   */
  runSteps(
    node: NodeRecord,
    ws: WorkspaceRecord,
    steps: NodeCommandRequest[],
    what: string,
    bestEffort: boolean,
  ): Promise<void>;
}

const CHECK_TIMEOUT_MS = 5000;
/** Between tries while a service comes up: short first, so a quick service is quick to be ready. */
const RETRY_MS = [100, 200, 400, 800, 1000];

function ownerOf(id: string): string {
  return `workspace:${id}`;
}

/** Rejects after `ms` with `what`; `late` gets what resolved after the deadline (to close it). */
function within<T>(p: Promise<T>, ms: number, what: string, late?: (v: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`${what} did not answer within ${ms} ms`));
    }, ms);
    p.then(
      (v) => {
        if (done) return late?.(v);
        done = true;
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** The status line of an HTTP/1.0 GET of `path` over `channel`. */
function httpStatus(channel: Duplex, host: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let head = '';
    const finish = (err: Error | undefined, status?: number) => {
      channel.removeAllListeners('data');
      channel.destroy();
      if (err) reject(err);
      else resolve(status!);
    };
    channel.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const eol = head.indexOf('\n');
      if (eol < 0 && head.length < 1024) return;
      const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head);
      finish(
        m ? undefined : new Error(`not an HTTP answer: ${JSON.stringify(head.slice(0, 60))}`),
        m ? Number(m[1]) : undefined,
      );
    });
    channel.once('error', (err: Error) => finish(err));
    channel.once('end', () => finish(new Error('the connection closed before an HTTP answer')));
    channel.write(
      `GET ${path} HTTP/1.0\r\nHost: ${host}\r\nUser-Agent: switchboard-health\r\n\r\n`,
    );
  });
}

/**
 * A workspace's services (docs/workspaces.md, "Services"), as an extension of the
 * workspace's lifecycle (`gateway.workspaces.extend`): `ready` starts them in dependency
 * order, each once the ones it depends on are healthy, and checks each until it passes
 * (or the workspace fails with the reason); `teardown` stops the checks, closes the
 * workspace's port forwards and stops its services, last started first. While it runs, a
 * monitor checks each service every interval and journals only changes (`workspace.service`,
 * which the event stream shows). Checks are the hub's own: tcp and http go over the node's
 * pooled SSH connection (direct-tcpip, the same path as a port forward), a command check is
 * run on the node without a command record (it would fill the log every few seconds).
 */
export class WorkspaceServices implements WorkspaceExtension {
  private readonly lastChecks = new Map<string, Map<string, ServiceCheck>>();
  /** The monitor of each running workspace: its timers, and a token that a teardown retires. */
  private readonly monitors = new Map<string, { token: object; timers: Set<NodeJS.Timeout> }>();
  /** Which service each forward of a workspace goes to (forward id -> service name). */
  private readonly forwardService = new Map<string, string>();

  constructor(
    private readonly hub: Engine,
    private readonly rules: GatewayRules,
    private readonly nodes: NodeOperations,
    private readonly host: ServiceHost,
  ) {}

  /** Refuse (a 400 naming the field) services that cannot start: a cycle, or a provider without services. */
  check(driver: WorkspaceDriver, ws: WorkspaceRecord, node: NodeRecord): void {
    const order = serviceOrder(ws.services);
    if (!order.ok)
      throw new OperationError(
        ErrorCode.INVALID_FRAME,
        `${order.issue.path.join('.')}: ${order.issue.message}`,
      );
    if (ws.services.length === 0) return;
    try {
      driver.serviceHost({ workspace: ws, node });
      for (const svc of ws.services) driver.serviceSteps('start', { workspace: ws, node }, svc);
    } catch (err) {
      throw new OperationError(ErrorCode.INVALID_FRAME, (err as Error).message);
    }
  }

  // ------------------------------------------------------------------ the extension

  async ready(ws: WorkspaceRecord, node: NodeRecord): Promise<void> {
    const driver = this.host.driver();
    if (!driver || ws.services.length === 0) return;
    this.retire(ws.id);
    const order = serviceOrder(ws.services);
    if (!order.ok) throw new Error(order.issue.message);
    const host = await this.serviceHost(driver, ws, node);
    const timeout = this.host.config().healthTimeoutMs;
    for (const svc of order.order) {
      if (this.host.cancelled(ws.id)) return;
      await this.record(ws.id, svc.name, 'starting');
      const steps = driver.serviceSteps('start', { workspace: ws, node }, svc);
      try {
        await this.host.runSteps(node, ws, steps, `service ${svc.name} start`, false);
      } catch (err) {
        await this.record(ws.id, svc.name, 'unhealthy', (err as Error).message);
        throw err;
      }
      const end = this.hub.now() + timeout;
      for (let i = 0; ; i++) {
        const c = await this.checkOnce(driver, ws, node, host, svc);
        if (c.ok) break;
        if (this.host.cancelled(ws.id)) return;
        if (this.hub.now() >= end) {
          const why = `service ${svc.name} is not healthy after ${timeout} ms: ${c.error}`;
          await this.record(ws.id, svc.name, 'unhealthy', c.error);
          throw new Error(why);
        }
        await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(i, RETRY_MS.length - 1)]));
      }
      await this.record(ws.id, svc.name, 'healthy');
    }
    this.monitor(ws, node, host);
  }

  async teardown(ws: WorkspaceRecord, node: NodeRecord): Promise<void> {
    this.retire(ws.id);
    await this.closeForwards(ws.id);
    const driver = this.host.driver();
    if (!driver || ws.services.length === 0) return;
    const order = serviceOrder(ws.services);
    const reverse = order.ok ? [...order.order].reverse() : [...ws.services].reverse();
    const errors: string[] = [];
    for (const svc of reverse) {
      const state = ws.serviceStates[svc.name];
      try {
        // A service never started has nothing on the node; anything else may (a stop is a no-op when gone).
        if (state && state.status !== 'pending' && state.status !== 'stopped') {
          const steps = driver.serviceSteps('stop', { workspace: ws, node }, svc);
          await this.host.runSteps(node, ws, steps, `service ${svc.name} stop`, true);
        }
        await this.record(
          ws.id,
          svc.name,
          'stopped',
          state?.status === 'unhealthy' ? state.lastError : undefined,
        );
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    this.lastChecks.delete(ws.id);
    if (errors.length) throw new Error(errors.join('; '));
  }

  // ------------------------------------------------------------------ reads and forwards

  list(ws: WorkspaceRecord): ServiceView[] {
    const checks = this.lastChecks.get(ws.id);
    const forwards = this.nodes.forwardsOwnedBy(ownerOf(ws.id));
    return ws.services.map((spec) => ({
      spec,
      state: ws.serviceStates[spec.name] ?? {
        status: 'pending',
        lastError: undefined,
        since: ws.createdAt,
      },
      lastCheck: checks?.get(spec.name),
      forwards: forwards.filter((f) => this.forwardService.get(f.id) === spec.name),
    }));
  }

  /** Open a hub port forwarding to the service, closed with the workspace. */
  async forward(ws: WorkspaceRecord, name: string, localPort?: number): Promise<ForwardInfo> {
    const svc = ws.services.find((s) => s.name === name);
    if (!svc)
      throw new OperationError(ErrorCode.NOT_FOUND, `workspace ${ws.id} has no service ${name}`);
    if (svc.port === undefined)
      throw new OperationError(
        ErrorCode.INVALID_FRAME,
        `service ${name} declares no port to forward to`,
      );
    if (ws.status !== 'running')
      throw new OperationError(
        ErrorCode.INVALID_STATE,
        `workspace ${ws.id} is ${ws.status}; its services can be forwarded to while it is running`,
      );
    const driver = this.host.driver();
    const node = this.nodes.known(ws.nodeId);
    if (!driver || !node)
      throw new OperationError(
        ErrorCode.NODE_UNREACHABLE,
        `workspace ${ws.id} has no node to reach`,
      );
    const host = await this.serviceHost(driver, ws, node).catch((err: Error) => {
      throw new OperationError(ErrorCode.NODE_UNREACHABLE, err.message);
    });
    const f = await this.nodes.forwardFor(node.id, {
      host,
      port: svc.port,
      owner: ownerOf(ws.id),
      ...(localPort === undefined ? {} : { localPort }),
    });
    this.forwardService.set(f.id, name);
    // A stop or delete that ran while this was opening has closed the others already.
    if (ws.status !== 'running' || !this.hub.core.workspaces.workspaces.has(ws.id)) {
      await this.closeForwards(ws.id);
      throw new OperationError(ErrorCode.INVALID_STATE, `workspace ${ws.id} stopped meanwhile`);
    }
    return f;
  }

  forwardsOf(ws: WorkspaceRecord): { service: string; forward: ForwardInfo }[] {
    return this.nodes
      .forwardsOwnedBy(ownerOf(ws.id))
      .map((f) => ({ service: this.forwardService.get(f.id) ?? '', forward: f }));
  }

  /** Close one of the workspace's forwards; false: it has none by that id. */
  async closeForward(ws: WorkspaceRecord, forwardId: string): Promise<boolean> {
    if (!this.nodes.forwardsOwnedBy(ownerOf(ws.id)).some((f) => f.id === forwardId)) return false;
    await this.nodes.closeForwardById(forwardId);
    this.forwardService.delete(forwardId);
    return true;
  }

  /** Running workspaces after a restart: their services are checked again. */
  resumeMonitor(ws: WorkspaceRecord, node: NodeRecord): void {
    const driver = this.host.driver();
    if (!driver || ws.services.length === 0) return;
    this.serviceHost(driver, ws, node).then(
      (host) => {
        if (ws.status === 'running' && !this.monitors.has(ws.id)) this.monitor(ws, node, host);
      },
      () => undefined,
    );
  }

  /** The hub stops: no more checks. */
  close(): void {
    for (const id of [...this.monitors.keys()]) this.retire(id);
  }

  // ------------------------------------------------------------------ checks

  private async closeForwards(id: string): Promise<void> {
    const owned = this.nodes.forwardsOwnedBy(ownerOf(id));
    await this.nodes.closeForwardsOf(ownerOf(id));
    for (const f of owned) this.forwardService.delete(f.id);
  }

  private async serviceHost(
    driver: WorkspaceDriver,
    ws: WorkspaceRecord,
    node: NodeRecord,
  ): Promise<string> {
    const where = driver.serviceHost({ workspace: ws, node });
    if ('host' in where) return where.host;
    const out = await this.nodes.runUnrecorded(node, {
      ...where.step,
      timeoutMs: CHECK_TIMEOUT_MS * 2,
    });
    const host = out.stdout.trim().split(/\s+/)[0];
    if (out.status !== 'succeeded' || !host)
      throw new Error(
        `cannot find workspace ${ws.id}'s address on node ${node.name}: ${(out.stderr || out.error || out.stdout).trim()}`,
      );
    return host;
  }

  private monitor(ws: WorkspaceRecord, node: NodeRecord, host: string): void {
    const driver = this.host.driver();
    if (!driver) return;
    const m = { token: {}, timers: new Set<NodeJS.Timeout>() };
    this.monitors.set(ws.id, m);
    const live = () => this.monitors.get(ws.id) === m;
    for (const svc of ws.services) {
      const every = svc.healthCheck?.intervalMs ?? this.host.config().serviceCheckIntervalMs;
      const schedule = () => {
        const timer = setTimeout(() => {
          m.timers.delete(timer);
          void (async () => {
            const current = this.nodes.known(ws.nodeId) ?? node;
            const c = await this.checkOnce(driver, ws, current, host, svc);
            if (!live()) return;
            await this.record(
              ws.id,
              svc.name,
              c.ok ? 'healthy' : 'unhealthy',
              c.ok ? undefined : c.error,
            );
            if (live()) schedule();
          })();
        }, every);
        timer.unref();
        m.timers.add(timer);
      };
      schedule();
    }
  }

  private retire(id: string): void {
    const m = this.monitors.get(id);
    if (!m) return;
    this.monitors.delete(id);
    for (const t of m.timers) clearTimeout(t);
  }

  /** One check of one service, kept as its last check. */
  private async checkOnce(
    driver: WorkspaceDriver,
    ws: WorkspaceRecord,
    node: NodeRecord,
    host: string,
    svc: WorkspaceServiceSpec,
  ): Promise<ServiceCheck> {
    const started = this.hub.now();
    let error: string | undefined;
    try {
      await this.probe(driver, ws, node, host, svc);
    } catch (err) {
      error = (err as Error).message || String(err);
    }
    const c: ServiceCheck = {
      at: started,
      ok: error === undefined,
      durationMs: this.hub.now() - started,
      error,
    };
    let checks = this.lastChecks.get(ws.id);
    if (!checks) this.lastChecks.set(ws.id, (checks = new Map()));
    checks.set(svc.name, c);
    return c;
  }

  private async probe(
    driver: WorkspaceDriver,
    ws: WorkspaceRecord,
    node: NodeRecord,
    host: string,
    svc: WorkspaceServiceSpec,
  ): Promise<void> {
    const hc = svc.healthCheck ?? (svc.port === undefined ? undefined : { type: 'tcp' as const });
    if (!hc) return;
    const ms = hc.timeoutMs ?? CHECK_TIMEOUT_MS;
    if (hc.type === 'command') {
      const out = await this.nodes.runUnrecorded(node, {
        ...driver.insideStep({ workspace: ws, node }, hc.command ?? 'true'),
        timeoutMs: ms,
      });
      if (out.status !== 'succeeded')
        throw new Error(
          `check command ${out.status}${out.exitCode === null ? '' : ` with exit code ${out.exitCode}`}${
            (out.stderr || out.error || '').trim()
              ? `: ${(out.stderr || out.error || '').trim().slice(-200)}`
              : ''
          }`,
        );
      return;
    }
    const port = svc.port;
    if (port === undefined) throw new Error(`a ${hc.type} check needs the service's port`);
    const what = `${host}:${port} on node ${node.name}`;
    const channel = await within(this.nodes.connect(node, host, port), ms, what, (c) =>
      c.destroy(),
    ).catch((err: Error) => {
      throw new Error(`cannot connect to ${what}: ${err.message}`);
    });
    if (hc.type === 'tcp') {
      channel.destroy();
      return;
    }
    const path = hc.path ?? '/';
    const status = await within(
      httpStatus(channel, host, path),
      ms,
      `GET ${path} at ${what}`,
    ).finally(() => channel.destroy());
    if (status < 200 || status >= 400) throw new Error(`GET ${path} answered ${status}`);
  }

  /** A status change through the core, skipped when it is no change; a refusal (gone) changes nothing. */
  private async record(
    id: string,
    service: string,
    status: ServiceStatusName,
    error?: string,
  ): Promise<void> {
    const ws = this.hub.core.workspaces.workspaces.get(id);
    const now = ws?.serviceStates[service];
    if (!ws || !now) return;
    const err = error?.slice(0, 1024);
    if (now.status === status && now.lastError === err) return;
    try {
      await this.rules.durably({
        type: 'workspace.service',
        now: this.hub.now(),
        workspaceId: id,
        service,
        status,
        ...(err === undefined ? {} : { error: err }),
      });
    } catch {
      // Gone meanwhile: nothing to record. A store failure is the hub's to report.
    }
  }
}
