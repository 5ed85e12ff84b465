import { ErrorCode, type WireErrorCodeName } from '../../protocol/index.js';
import type { NodeCommand } from './commands.js';
import type { HubEvent } from './events.js';
import type { NodeCommandRecord, NodeRecord } from './node-records.js';

type Result = { ok: true } | { ok: false; code: WireErrorCodeName; message: string };
const OK: Result = { ok: true };

/** Finished command records kept per node, oldest dropped first. */
export const COMMANDS_KEPT_PER_NODE = 200;

/**
 * The node half of the core: registry of remote nodes and the records of commands run on
 * them. Pure like the rest of the core; the SSH work happens in server/nodes and reports
 * back through these commands.
 */
export class NodeRegistry {
  readonly nodes = new Map<string, NodeRecord>();
  readonly commands = new Map<string, NodeCommandRecord>();
  private readonly perNode = new Map<string, string[]>();

  apply(cmd: NodeCommand, emit: (e: HubEvent) => void): Result {
    switch (cmd.type) {
      case 'node.register': {
        if (this.nodes.has(cmd.node.id))
          return {
            ok: false,
            code: ErrorCode.CONFLICT,
            message: `node ${cmd.node.id} already exists`,
          };
        for (const n of this.nodes.values()) {
          if (n.name === cmd.node.name)
            return {
              ok: false,
              code: ErrorCode.CONFLICT,
              message: `a node named ${n.name} already exists (id ${n.id})`,
            };
        }
        const node: NodeRecord = {
          ...cmd.node,
          status: 'unknown',
          lastError: undefined,
          lastSeen: 0,
          createdAt: cmd.now,
          updatedAt: cmd.now,
        };
        this.nodes.set(node.id, node);
        emit({ type: 'node.registered', node });
        return OK;
      }
      case 'node.update': {
        const node = this.nodes.get(cmd.nodeId);
        if (!node) return notFound(cmd.nodeId);
        Object.assign(node, cmd.patch, { updatedAt: cmd.now });
        emit({ type: 'node.updated', node });
        return OK;
      }
      case 'node.remove': {
        const node = this.nodes.get(cmd.nodeId);
        if (!node) return notFound(cmd.nodeId);
        this.nodes.delete(node.id);
        for (const id of this.perNode.get(node.id) ?? []) this.commands.delete(id);
        this.perNode.delete(node.id);
        emit({ type: 'node.removed', node });
        return OK;
      }
      case 'node.status': {
        const node = this.nodes.get(cmd.nodeId);
        if (!node) return notFound(cmd.nodeId);
        const changed = node.status !== cmd.status || node.lastError !== cmd.error;
        node.status = cmd.status;
        node.lastError = cmd.error;
        if (cmd.status === 'connected') node.lastSeen = cmd.now;
        if (changed) emit({ type: 'node.status', node });
        return OK;
      }
      case 'node.command': {
        const node = this.nodes.get(cmd.command.nodeId);
        if (!node) return notFound(cmd.command.nodeId);
        if (this.commands.has(cmd.command.id))
          return {
            ok: false,
            code: ErrorCode.CONFLICT,
            message: `command ${cmd.command.id} exists`,
          };
        const record: NodeCommandRecord = {
          ...cmd.command,
          status: 'pending',
          exitCode: null,
          stdout: '',
          stderr: '',
          error: undefined,
          createdAt: cmd.now,
          startedAt: 0,
          finishedAt: 0,
          durationMs: 0,
          attempts: 0,
        };
        this.commands.set(record.id, record);
        const list = this.perNode.get(node.id) ?? [];
        list.push(record.id);
        while (list.length > COMMANDS_KEPT_PER_NODE) this.commands.delete(list.shift()!);
        this.perNode.set(node.id, list);
        emit({ type: 'command.created', command: record });
        return OK;
      }
      case 'command.started': {
        const c = this.commands.get(cmd.commandId);
        if (!c)
          return { ok: false, code: ErrorCode.NOT_FOUND, message: `no command ${cmd.commandId}` };
        c.status = 'running';
        c.startedAt = cmd.now;
        c.attempts++;
        emit({ type: 'command.started', command: c });
        return OK;
      }
      case 'command.result': {
        const c = this.commands.get(cmd.commandId);
        if (!c)
          return { ok: false, code: ErrorCode.NOT_FOUND, message: `no command ${cmd.commandId}` };
        if (c.finishedAt)
          return {
            ok: false,
            code: ErrorCode.INVALID_STATE,
            message: `command ${c.id} already finished (${c.status})`,
          };
        c.status = cmd.status;
        c.exitCode = cmd.exitCode;
        c.stdout = cmd.stdout;
        c.stderr = cmd.stderr;
        c.error = cmd.error;
        c.finishedAt = cmd.now;
        c.durationMs = cmd.durationMs ?? (c.startedAt ? cmd.now - c.startedAt : 0);
        emit({ type: 'command.finished', command: c });
        return OK;
      }
    }
  }

  /** Restore from a snapshot. */
  restore(nodes: NodeRecord[], commands: NodeCommandRecord[]): void {
    for (const n of nodes) this.nodes.set(n.id, n);
    for (const c of commands) {
      this.commands.set(c.id, c);
      const list = this.perNode.get(c.nodeId) ?? [];
      list.push(c.id);
      this.perNode.set(c.nodeId, list);
    }
  }
}

function notFound(id: string): Result {
  return { ok: false, code: ErrorCode.NOT_FOUND, message: `no node ${id}` };
}
