import { z } from 'zod';
import { ErrorCode } from '../../../protocol/index.js';
import {
  readMinted,
  subjectSchema,
  tokenIdSchema,
  type Grant,
  type MintedRecord,
} from '../../auth/index.js';
import type { Hub } from '../../hub/hub.js';
import { HttpError } from '../http-error.js';
import type { Route } from '../router.js';
import { parseBody } from '../validate.js';

const revokeBody = z
  .strictObject({
    id: tokenIdSchema.optional(),
    subject: subjectSchema.optional(),
    reason: z.string().max(512).optional(),
  })
  .refine((b) => (b.id === undefined) !== (b.subject === undefined), {
    message: 'give exactly one of id (one token) and subject (every token of it issued up to now)',
    path: ['id'],
  });

export interface TokenJson extends MintedRecord {
  expired: boolean;
  revoked: boolean;
  revokedAt?: number;
  /** How it was revoked: `id` (this token) or `subject` (every token of the subject up to a time). */
  revokedBy?: 'id' | 'subject';
}

export interface TokensJson {
  /** What `switchboard token create` recorded in the data dir (none when the hub has no data dir). */
  tokens: TokenJson[];
  revocations: {
    ids: { id: string; revokedAt: number; reason?: string }[];
    subjects: { subject: string; issuedBefore: number; revokedAt: number; reason?: string }[];
  };
}

/**
 * Token management is for an admin token without a queue scope: a token confined to some
 * queues must not be able to revoke (or list) the tokens of everyone else.
 */
function assertUnscopedAdmin(grant: Grant | undefined): void {
  if (grant?.queues !== undefined) {
    throw new HttpError(
      ErrorCode.FORBIDDEN,
      'managing tokens needs an admin token without a queue scope',
    );
  }
}

export function tokensJson(hub: Hub, now: number): TokensJson {
  const revocations = hub.core.revocations;
  const minted = hub.dataDir ? readMinted(hub.dataDir).records : [];
  const tokens = minted.map((m): TokenJson => {
    const r = revocations.find({ tokenId: m.id, subject: m.subject, issuedAt: m.issuedAt });
    return {
      ...m,
      expired: m.expiresAt !== undefined && m.expiresAt <= now,
      revoked: r !== undefined,
      ...(r ? { revokedAt: r.revokedAt, revokedBy: 'id' in r ? 'id' : 'subject' } : {}),
    };
  });
  return { tokens, revocations: revocations.snapshot() };
}

/** /api/v1/tokens: list minted and revoked tokens; revoke one, or every token of a subject. */
export function tokenRoutes(hub: Hub): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/tokens',
      auth: ['admin'],
      handler: ({ grant }) => {
        assertUnscopedAdmin(grant);
        return { body: tokensJson(hub, hub.now()) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/tokens/revoke',
      auth: ['admin'],
      handler: async ({ body, grant }) => {
        assertUnscopedAdmin(grant);
        const b = parseBody(revokeBody, body);
        const now = hub.now();
        const before = hub.liveGrants.size;
        const durable = hub.gateway.durably({
          type: 'token.revoke',
          now,
          ...(b.id === undefined ? { subject: b.subject!, issuedBefore: now } : { tokenId: b.id }),
          ...(b.reason === undefined ? {} : { reason: b.reason }),
        });
        // Counted now: the matching sessions were closed synchronously by the command.
        const closed = Math.max(0, before - hub.liveGrants.size);
        await durable;
        hub.log.info(
          { tokenId: b.id, subject: b.subject, sessionsClosed: closed, by: grant?.subject },
          'token revoked',
        );
        return {
          body: {
            revoked: b.id === undefined ? { subject: b.subject, issuedBefore: now } : { id: b.id },
            sessionsClosed: closed,
          },
        };
      },
    },
  ];
}
