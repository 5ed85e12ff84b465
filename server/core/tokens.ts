import { ErrorCode } from '../../protocol/index.js';
import { fail, OK, type CommandResult } from './command-result.js';
import type { TokenRevokeCommand } from './commands.js';
import type { CoreState } from './core-state.js';

/** `token.revoke`: record the revocation (revocations.ts); the hub closes what it covers. */
export function revokeToken(s: CoreState, cmd: TokenRevokeCommand): CommandResult {
  if ((cmd.tokenId === undefined) === (cmd.subject === undefined)) {
    return fail(ErrorCode.INVALID_FRAME, 'token.revoke names exactly one of tokenId and subject');
  }
  if (cmd.tokenId !== undefined) {
    s.revocations.revokeId(cmd.tokenId, cmd.now, cmd.reason);
    s.emit({ type: 'token.revoked', tokenId: cmd.tokenId });
  } else {
    const issuedBefore = cmd.issuedBefore ?? cmd.now;
    s.revocations.revokeSubject(cmd.subject!, issuedBefore, cmd.now, cmd.reason);
    s.emit({ type: 'token.revoked', subject: cmd.subject!, issuedBefore });
  }
  return OK;
}
