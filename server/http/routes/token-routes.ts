import { z } from 'zod';
import {
  mintedRecordSchema,
  readMinted,
  subjectSchema,
  tokenIdSchema,
  type MintedRecord,
} from '../../auth/index.js';
import type { RevocationsView } from '../../gateway/token-operations.js';
import type { Hub } from '../../hub/hub.js';
import { callerOf, type Route } from '../router.js';
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
  })
  .meta({
    description:
      'Exactly one of `id` (one token) and `subject` (every token of the subject issued up to now).',
  });
const revoked = z.object({
  revoked: z.union([
    z.object({ id: z.string() }),
    z.object({ subject: z.string(), issuedBefore: z.number().int() }),
  ]),
  sessionsClosed: z.number().int().min(0).describe('open sessions of the token(s) closed (4004)'),
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

const tokensAnswer = z.object({
  tokens: z.array(
    mintedRecordSchema.extend({
      expired: z.boolean(),
      revoked: z.boolean(),
      revokedAt: z.number().int().optional(),
      revokedBy: z.enum(['id', 'subject']).optional(),
    }),
  ),
  revocations: z.object({
    ids: z.array(
      z.object({ id: z.string(), revokedAt: z.number().int(), reason: z.string().optional() }),
    ),
    subjects: z.array(
      z.object({
        subject: z.string(),
        issuedBefore: z.number().int(),
        revokedAt: z.number().int(),
        reason: z.string().optional(),
      }),
    ),
  }),
}) satisfies z.ZodType<TokensJson>;

/** The minted tokens in the data dir, each with whether it is revoked or expired at `now`. */
export function tokensJson(
  revocations: RevocationsView,
  dataDir: string | undefined,
  now: number,
): TokensJson {
  const minted = dataDir ? readMinted(dataDir).records : [];
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
      doc: {
        summary: 'Minted (recorded) and revoked tokens; never the tokens themselves',
        tags: ['tokens'],
        responses: { 200: tokensAnswer },
      },
      handler: (ctx) => ({
        body: tokensJson(hub.gateway.tokens.revocations(callerOf(ctx)), hub.dataDir, hub.now()),
      }),
    },
    {
      method: 'POST',
      path: '/api/v1/tokens/revoke',
      auth: ['admin'],
      doc: {
        summary: 'Revoke one token, or every token of a subject; their sessions close (4004)',
        tags: ['tokens'],
        body: revokeBody,
        responses: { 200: revoked },
      },
      handler: async (ctx) => {
        const b = parseBody(revokeBody, ctx.body);
        const before = hub.liveGrants.size;
        const durable = hub.gateway.tokens.revoke(
          callerOf(ctx),
          b.id === undefined ? { subject: b.subject! } : { tokenId: b.id },
          b.reason,
        );
        // Counted now: the matching sessions were closed synchronously by the command.
        const closed = Math.max(0, before - hub.liveGrants.size);
        const revoked = await durable;
        hub.log.info(
          { tokenId: b.id, subject: b.subject, sessionsClosed: closed, by: ctx.grant?.subject },
          'token revoked',
        );
        return {
          body: {
            revoked: 'tokenId' in revoked ? { id: revoked.tokenId } : revoked,
            sessionsClosed: closed,
          },
        };
      },
    },
  ];
}
