import type { ProviderKind } from '../../core/index.js';
import { dockerWorkspace } from './docker-workspace.js';
import { lxcWorkspace } from './lxc-workspace.js';
import { processWorkspace } from './process-workspace.js';
import { qemuWorkspace } from './qemu-workspace.js';
import type { WorkspacePlan } from './workspace-plan.js';

export const WORKSPACE_PLANS: Record<ProviderKind, WorkspacePlan> = {
  docker: dockerWorkspace,
  lxc: lxcWorkspace,
  qemu: qemuWorkspace,
  process: processWorkspace,
};

export { serviceName, type ServicePlan, type WorkspacePlan } from './workspace-plan.js';
export { CONTAINER_SSHD } from './docker-workspace.js';
