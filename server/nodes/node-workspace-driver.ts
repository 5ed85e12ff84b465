import type { NodeRecord, WorkspaceRecord } from '../core/index.js';
import type { NodeCommandRequest } from '../gateway/node-executor.js';
import type {
  WorkspaceDriver,
  WorkspacePhase,
  WorkspaceTarget,
} from '../gateway/workspace-driver.js';
import { waitForSshBanner } from './ssh-banner.js';
import { WORKSPACE_PLANS } from './workspaces/index.js';

/** The hub's workspace driver: each provider's plan (workspaces/), and the SSH banner check. */
export class NodeWorkspaceDriver implements WorkspaceDriver {
  steps(phase: WorkspacePhase, target: WorkspaceTarget): NodeCommandRequest[] {
    return WORKSPACE_PLANS[target.workspace.provider].steps(phase, target);
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
