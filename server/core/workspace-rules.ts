import { ErrorCode } from '../../protocol/index.js';
import { fail, OK, type CommandResult } from './command-result.js';
import type { CoreState } from './core-state.js';
import type { WorkspaceCommand } from './workspace-commands.js';
import { mayTransition, type WorkspaceRecord } from './workspace-records.js';

/** Apply a user or workspace command (records in workspace-state.ts, ports in port-pool.ts). */
export function applyWorkspace(s: CoreState, cmd: WorkspaceCommand): CommandResult {
  const w = s.workspaces;
  switch (cmd.type) {
    case 'user.register': {
      const u = cmd.user;
      if (w.users.has(u.username))
        return fail(ErrorCode.CONFLICT, `a user named ${u.username} is registered already`);
      const holder = w.byGithubId.get(u.githubId);
      if (holder !== undefined)
        return fail(
          ErrorCode.CONFLICT,
          `GitHub id ${u.githubId} is registered already (user ${holder})`,
        );
      const user = { ...u, createdAt: cmd.now, updatedAt: cmd.now };
      w.users.set(user.username, user);
      w.byGithubId.set(user.githubId, user.username);
      s.emit({ type: 'user.registered', user });
      return OK;
    }
    case 'user.key': {
      const user = w.users.get(cmd.username);
      if (!user) return fail(ErrorCode.NOT_FOUND, `no user ${cmd.username}`);
      user.publicKey = cmd.publicKey;
      user.fingerprint = cmd.fingerprint;
      user.updatedAt = cmd.now;
      s.emit({ type: 'user.key', user });
      return OK;
    }
    case 'workspace.create': {
      const spec = cmd.workspace;
      if (w.workspaces.has(spec.id))
        return fail(ErrorCode.CONFLICT, `workspace ${spec.id} exists already`);
      if (!w.users.has(spec.user)) return fail(ErrorCode.NOT_FOUND, `no user ${spec.user}`);
      if (!s.nodes.nodes.has(spec.nodeId))
        return fail(ErrorCode.NOT_FOUND, `no node ${spec.nodeId}`);
      const same = w.named(spec.user, spec.name);
      if (same)
        return fail(
          ErrorCode.CONFLICT,
          `user ${spec.user} has a workspace named ${spec.name} already (${same.id})`,
        );
      const port = w.ports.allocate(cmd.ports, spec.id);
      if (port === undefined)
        return fail(
          ErrorCode.PORTS_EXHAUSTED,
          `every SSH port of ${cmd.ports.from}-${cmd.ports.to} is held by a workspace`,
        );
      const ws: WorkspaceRecord = {
        id: spec.id,
        user: spec.user,
        name: spec.name,
        provider: spec.provider,
        nodeId: spec.nodeId,
        repository: spec.repository,
        image: spec.image,
        services: spec.services,
        serviceStates: Object.fromEntries(
          spec.services.map((svc) => [
            svc.name,
            { status: 'pending' as const, lastError: undefined, since: cmd.now },
          ]),
        ),
        sshPort: port,
        status: 'creating',
        lastError: undefined,
        createdAt: cmd.now,
        updatedAt: cmd.now,
      };
      w.workspaces.set(ws.id, ws);
      s.emit({ type: 'workspace.status', workspace: ws, from: undefined });
      return OK;
    }
    case 'workspace.status': {
      const ws = w.workspaces.get(cmd.workspaceId);
      if (!ws) return fail(ErrorCode.NOT_FOUND, `no workspace ${cmd.workspaceId}`);
      if (!mayTransition(ws.status, cmd.status))
        return fail(
          ErrorCode.INVALID_STATE,
          `workspace ${ws.id} is ${ws.status}; it cannot become ${cmd.status}`,
        );
      const from = ws.status;
      ws.status = cmd.status;
      ws.lastError = cmd.error;
      ws.updatedAt = cmd.now;
      if (cmd.status === 'deleted') {
        w.workspaces.delete(ws.id);
        w.ports.release(ws.sshPort, ws.id);
      }
      s.emit({ type: 'workspace.status', workspace: ws, from });
      return OK;
    }
    case 'workspace.service': {
      const ws = w.workspaces.get(cmd.workspaceId);
      if (!ws) return fail(ErrorCode.NOT_FOUND, `no workspace ${cmd.workspaceId}`);
      const state = ws.serviceStates[cmd.service];
      if (!state)
        return fail(ErrorCode.NOT_FOUND, `workspace ${ws.id} has no service ${cmd.service}`);
      if (state.status === cmd.status && state.lastError === cmd.error) return OK;
      const from = state.status;
      ws.serviceStates[cmd.service] = {
        status: cmd.status,
        lastError: cmd.error,
        since: cmd.now,
      };
      s.emit({ type: 'workspace.service', workspace: ws, service: cmd.service, from });
      return OK;
    }
  }
}
