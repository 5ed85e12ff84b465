import type { NodeRecord, WorkspaceRecord, WorkspaceServiceSpec } from '../core/index.js';
import type { NodeCommandRequest } from '../gateway/node-executor.js';
import type {
  WorkspaceDriver,
  WorkspacePhase,
  WorkspaceTarget,
} from '../gateway/workspace-driver.js';
import { waitForSshBanner } from './ssh-banner.js';
import { WORKSPACE_PLANS, type ServicePlan } from './workspaces/index.js';

/** The hub's workspace driver: each provider's plan (workspaces/), and the SSH banner check. */
export class NodeWorkspaceDriver implements WorkspaceDriver {
  steps(phase: WorkspacePhase, target: WorkspaceTarget): NodeCommandRequest[] {
    return WORKSPACE_PLANS[target.workspace.provider].steps(phase, target);
  }

  serviceSteps(
    phase: 'start' | 'stop',
    target: Omit<WorkspaceTarget, 'publicKey'>,
    service: WorkspaceServiceSpec,
  ): NodeCommandRequest[] {
    return this.servicePlan(target.workspace)[phase](target, service);
  }

  insideStep(target: Omit<WorkspaceTarget, 'publicKey'>, command: string): NodeCommandRequest {
    return this.servicePlan(target.workspace).inside(target, command);
  }

  serviceHost(
    target: Omit<WorkspaceTarget, 'publicKey'>,
  ): { host: string } | { step: NodeCommandRequest } {
    return this.servicePlan(target.workspace).host(target);
  }

  private servicePlan(workspace: WorkspaceRecord): ServicePlan {
    const plan = WORKSPACE_PLANS[workspace.provider].services;
    if (!plan) throw new Error(`services: the ${workspace.provider} provider runs no services`);
    return plan;
  }

  sshUser(workspace: WorkspaceRecord, node: NodeRecord): string {
    return WORKSPACE_PLANS[workspace.provider].sshUser({ workspace, node });
  }

  waitForSsh(
    host: string,
    port: number,
    timeoutMs: number,
    cancelled: () => boolean,
  ): Promise<void> {
    return waitForSshBanner(host, port, timeoutMs, cancelled);
  }
}
