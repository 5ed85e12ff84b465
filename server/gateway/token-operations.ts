import { ErrorCode } from '../../protocol/index.js';
import type { Role } from '../auth/index.js';
import type { Command, CommandResult, Revocations } from '../core/index.js';
import type { Caller } from './caller.js';
import type { Engine } from './engine.js';
import { OperationError } from './operation-error.js';

/** The gateway's building blocks token operations share (the Gateway provides them). */
interface GatewayRules {
  requireRole(caller: Caller, role: Role, what: string): void;
  durably(cmd: Command): Promise<CommandResult & { ok: true }>;
}

/** What a revocation covers: one token, or every token of a subject issued before a time. */
export type RevocationTarget = { tokenId: string } | { subject: string; issuedBefore: number };

/** Reading the revocations: what is revoked, never how to revoke (that is `revoke`). */
export type RevocationsView = Pick<Revocations, 'find' | 'isRevoked' | 'snapshot' | 'size'>;

/**
 * Token revocations, as part of the gateway (`gateway.tokens`). Managing tokens needs an
 * admin token without a queue scope: a token confined to some queues must not be able to
 * revoke (or list) the tokens of everyone else.
 */
export class TokenOperations {
  constructor(
    private readonly hub: Engine,
    private readonly rules: GatewayRules,
  ) {}

  revocations(caller: Caller): RevocationsView {
    this.requireUnscopedAdmin(caller, 'read token revocations');
    return this.hub.core.revocations;
  }

  /**
   * Revoke one token, or every token of a subject issued up to now. The sessions it covers
   * are closed at once (before this returns); the promise resolves, with what was revoked,
   * once the revocation is durable.
   */
  revoke(
    caller: Caller,
    target: { tokenId: string } | { subject: string },
    reason?: string,
  ): Promise<RevocationTarget> {
    this.requireUnscopedAdmin(caller, 'revoke tokens');
    const now = this.hub.now();
    const revoked: RevocationTarget =
      'tokenId' in target ? target : { subject: target.subject, issuedBefore: now };
    return this.rules
      .durably({
        type: 'token.revoke',
        now,
        ...revoked,
        ...(reason === undefined ? {} : { reason }),
      })
      .then(() => revoked);
  }

  private requireUnscopedAdmin(caller: Caller, what: string): void {
    this.rules.requireRole(caller, 'admin', what);
    if (caller.grant.queues !== undefined)
      throw new OperationError(
        ErrorCode.FORBIDDEN,
        'managing tokens needs an admin token without a queue scope',
      );
  }
}
