import { PortPool } from './port-pool.js';
import type { UserRecord, WorkspaceRecord } from './workspace-records.js';

/** A copy that shares nothing mutable with the record (services and their states). */
export function copyWorkspace(w: WorkspaceRecord): WorkspaceRecord {
  return {
    ...w,
    services: w.services.map((svc) => ({ ...svc })),
    serviceStates: Object.fromEntries(
      Object.entries(w.serviceStates).map(([k, v]) => [k, { ...v }]),
    ),
  };
}

export interface WorkspacesSnapshot {
  users: UserRecord[];
  workspaces: WorkspaceRecord[];
}

/**
 * Users, their workspaces and the ports those hold. The port pool is derived from the
 * workspaces (each holds its `sshPort` until deleted), so a snapshot stores only the records.
 */
export class Workspaces {
  readonly users = new Map<string, UserRecord>();
  readonly byGithubId = new Map<number, string>();
  readonly workspaces = new Map<string, WorkspaceRecord>();
  readonly ports = new PortPool();

  /** The workspace of `user` called `name`, if any (names are unique per user). */
  named(user: string, name: string): WorkspaceRecord | undefined {
    for (const w of this.workspaces.values()) if (w.user === user && w.name === name) return w;
    return undefined;
  }

  snapshot(): WorkspacesSnapshot {
    return {
      users: [...this.users.values()].map((u) => ({ ...u })),
      workspaces: [...this.workspaces.values()].map(copyWorkspace),
    };
  }

  restore(snap: WorkspacesSnapshot | undefined): void {
    if (!snap) return;
    for (const u of snap.users) {
      this.users.set(u.username, u);
      this.byGithubId.set(u.githubId, u.username);
    }
    for (const w of snap.workspaces) {
      // Snapshots from before services were run hold no service states.
      w.serviceStates ??= Object.fromEntries(
        w.services.map((svc) => [
          svc.name,
          { status: 'pending' as const, lastError: undefined, since: w.updatedAt },
        ]),
      );
      this.workspaces.set(w.id, w);
      this.ports.hold(w.sshPort, w.id);
    }
  }
}
