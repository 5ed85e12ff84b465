import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';
import {
  isSystemSubject,
  patternSchema,
  subjectCovers,
  subjectProblem,
} from '../../protocol/index.js';

export const ROLES = ['worker', 'producer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a verified token grants. */
export interface Grant {
  role: Role;
  /** Queue names (or prefixes ending in `*`) the holder may use; undefined = all. */
  queues: string[] | undefined;
  /**
   * Topic patterns (subjects with * and >) the holder may publish to and subscribe under;
   * undefined = every topic but the hub's own `$sys` ones.
   */
  topics?: string[] | undefined;
  subject: string | undefined;
  /** The token's id (`jti`); undefined for tokens minted before ids existed. */
  tokenId: string | undefined;
  /** When the token was issued, Unix ms (`iat`); undefined if the token does not say. */
  issuedAt: number | undefined;
  /** When the token expires, Unix ms (`exp`); undefined = never. */
  expiresAt: number | undefined;
  /**
   * Who holds the token, for ownership (a worker id belongs to the identity that registered
   * it): the subject, else the token's id, else a digest of the token itself.
   */
  identity: string;
}

/** A token id as minted here: 22 characters of base64url (128 random bits). Others are accepted up to 128. */
export const tokenIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._~-]+$/, 'a token id is letters, digits and . _ ~ -');
export const subjectSchema = z.string().min(1).max(256);

const claimsSchema = z.object({
  role: z.enum(ROLES),
  queues: z.array(z.string().min(1).max(129)).max(256).optional(),
  topics: z.array(patternSchema).max(256).optional(),
  sub: subjectSchema.optional(),
  jti: tokenIdSchema.optional(),
  iat: z.number().nonnegative().optional(),
  exp: z.number().optional(),
});

export const TOKEN_ISSUER = 'switchboard';
const ALG = 'HS256';

export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(
    message: string,
    readonly reason: 'missing' | 'malformed' | 'expired' | 'invalid' | 'revoked',
  ) {
    super(message);
  }
}

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Verify an HS256 token; the algorithm is pinned so `alg: none` or RS/HS confusion cannot pass. */
export async function verifyToken(secret: string, token: string | undefined): Promise<Grant> {
  if (!token) throw new TokenError('no token given', 'missing');
  try {
    const { payload } = await jwtVerify(token, key(secret), {
      algorithms: [ALG],
      issuer: TOKEN_ISSUER,
    });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new TokenError('token claims lack a valid role', 'invalid');
    const c = claims.data;
    const identity =
      c.sub !== undefined
        ? `sub:${c.sub}`
        : c.jti !== undefined
          ? `jti:${c.jti}`
          : `token:${createHash('sha256').update(token).digest('hex').slice(0, 24)}`;
    return {
      role: c.role,
      queues: c.queues,
      ...(c.topics === undefined ? {} : { topics: c.topics }),
      subject: c.sub,
      tokenId: c.jti,
      issuedAt: c.iat === undefined ? undefined : Math.round(c.iat * 1000),
      expiresAt: c.exp === undefined ? undefined : Math.round(c.exp * 1000),
      identity,
    };
  } catch (err) {
    if (err instanceof TokenError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new TokenError('token expired', 'expired');
    if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) {
      throw new TokenError('token is malformed', 'malformed');
    }
    throw new TokenError('token signature or claims invalid', 'invalid');
  }
}

export interface MintOptions {
  role: Role;
  queues?: string[];
  /** Topic patterns; omit for every topic. */
  topics?: string[];
  subject?: string;
  /** Lifetime, e.g. '30d', '12h', or seconds. Omit for a token that does not expire. */
  ttl?: string | number;
}

/** What was minted: the token and the metadata that may be shown or stored (never the token). */
export interface MintedToken {
  token: string;
  id: string;
  role: Role;
  subject: string | undefined;
  queues: string[] | undefined;
  /** Unix ms. */
  issuedAt: number;
  /** Unix ms; undefined = never expires. */
  expiresAt: number | undefined;
}

export function newTokenId(): string {
  // Never a leading '-' (1 id in 64 had one): `switchboard token revoke -4Iuz...` would be
  // read as an option. Redrawing keeps the ids uniform over the ones allowed.
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (id[0] !== '-') return id;
  }
}

/** Mint a token with a fresh id (`jti`). */
export async function issueToken(
  secret: string,
  opts: MintOptions,
  now = Date.now(),
): Promise<MintedToken> {
  const id = newTokenId();
  // `iat` in milliseconds precision (a NumericDate may be fractional, RFC 7519 §2): a
  // revocation of every token of a subject "issued up to now" must not also catch the
  // replacement minted in the same second.
  const claims: Record<string, unknown> = { role: opts.role, iat: now / 1000 };
  const queues = opts.queues && opts.queues.length ? opts.queues : undefined;
  if (queues) claims.queues = queues;
  if (opts.topics && opts.topics.length) {
    for (const t of opts.topics) {
      const problem = subjectProblem(t, true);
      if (problem) throw new RangeError(`topic pattern "${t}" ${problem}`);
    }
    claims.topics = opts.topics;
  }
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: ALG }).setIssuer(TOKEN_ISSUER).setJti(id);
  if (opts.subject) jwt = jwt.setSubject(opts.subject);
  let expiresAt: number | undefined;
  if (opts.ttl !== undefined) {
    // Relative to our own `now` (jose would use its clock): the recorded expiry is the token's.
    const exp = Math.floor(now / 1000) + ttlSeconds(opts.ttl);
    jwt = jwt.setExpirationTime(exp);
    expiresAt = exp * 1000;
  }
  const token = await jwt.sign(key(secret));
  return {
    token,
    id,
    role: opts.role,
    subject: opts.subject || undefined,
    queues,
    issuedAt: now,
    expiresAt,
  };
}

export async function mintToken(secret: string, opts: MintOptions): Promise<string> {
  return (await issueToken(secret, opts)).token;
}

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_557_600,
};

/** '30d', '12h', '90m', '3600s' or a number of seconds. */
export function ttlSeconds(ttl: string | number): number {
  if (typeof ttl === 'number') {
    if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS)
      throw new TokenError(
        `ttl must be a positive number of seconds (at most 100 years), got ${ttl}`,
        'invalid',
      );
    return ttl;
  }
  const m = /^(\d+)\s*(s|m|h|d|w|y)?$/.exec(ttl.trim());
  if (!m || Number(m[1]) <= 0) {
    throw new TokenError(
      `ttl must look like 30d, 12h, 90m, 45s or a number of seconds, got ${JSON.stringify(ttl)}`,
      'invalid',
    );
  }
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] ?? 's']!;
  if (seconds > MAX_TTL_SECONDS) {
    throw new TokenError(
      `ttl ${ttl} is over 100 years; omit --ttl for a token that does not expire`,
      'invalid',
    );
  }
  return seconds;
}

const MAX_TTL_SECONDS = 100 * 31_557_600;

/** The grant used when auth is disabled (development preset). */
export const OPEN_GRANT: Grant = {
  role: 'admin',
  queues: undefined,
  subject: 'anonymous',
  tokenId: undefined,
  issuedAt: undefined,
  expiresAt: undefined,
  identity: 'sub:anonymous',
};

export function mayUseQueue(grant: Grant, queue: string): boolean {
  if (!grant.queues) return true;
  for (const q of grant.queues) {
    if (q === queue) return true;
    if (q.endsWith('*') && queue.startsWith(q.slice(0, -1))) return true;
  }
  return false;
}

/**
 * Whether the grant allows a topic (to publish) or a pattern (to subscribe): the token's
 * topic patterns must cover all of it. `$sys` topics are the hub's events, for admins only.
 */
export function mayUseTopic(grant: Grant, subject: string): boolean {
  if (isSystemSubject(subject)) return grant.role === 'admin' && grant.queues === undefined;
  if (!grant.topics) return true;
  for (const p of grant.topics) if (subjectCovers(p, subject)) return true;
  return false;
}

/** admin may do anything; otherwise the role must be one of `allowed`. */
export function hasRole(grant: Grant, ...allowed: Role[]): boolean {
  return grant.role === 'admin' || allowed.includes(grant.role);
}
