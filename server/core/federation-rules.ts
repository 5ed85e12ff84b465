import { ErrorCode } from '../../protocol/index.js';
import { fail, OK, type CommandResult } from './command-result.js';
import type { CoreState } from './core-state.js';
import type { FederationCommand } from './federation-commands.js';

/** Apply a federation command: summaries and their merge (federation.ts), keys (federation-keys.ts). */
export function applyFederation(s: CoreState, cmd: FederationCommand): CommandResult {
  switch (cmd.type) {
    case 'federation.push': {
      const f = s.federations.open(cmd.federation);
      s.federations.items += f.push(cmd.summary, cmd.by, cmd.now);
      return OK;
    }
    case 'federation.forget': {
      const f = s.federations.get(cmd.federation);
      if (!f) return { ok: true, count: 0 };
      if (cmd.agentId === undefined) {
        // The whole federation: dropped in one piece, not summary by summary.
        s.federations.remove(f);
        return { ok: true, count: f.agents.size };
      }
      const had = f.agents.has(cmd.agentId);
      s.federations.items += f.forget(cmd.agentId);
      s.federations.closeIfEmpty(f);
      return { ok: true, count: had ? 1 : 0 };
    }
    case 'federation.key.create':
      if (
        !s.federationKeys.add({
          id: cmd.key.id,
          federation: cmd.key.federation,
          digest: cmd.key.digest,
          label: cmd.key.label,
          agentId: cmd.key.agentId,
          createdAt: cmd.now,
          createdBy: cmd.key.createdBy,
        })
      ) {
        return fail(ErrorCode.CONFLICT, `federation key ${cmd.key.id} exists already`);
      }
      return OK;
    case 'federation.key.revoke':
      return s.federationKeys.revoke(cmd.keyId, cmd.now)
        ? OK
        : fail(ErrorCode.NOT_FOUND, `no valid federation key ${cmd.keyId}`);
  }
}
