import { createHash } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';

export const ROLES = ['worker', 'producer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a verified token grants. */
export interface Grant {
  role: Role;
  /** Queue names (or prefixes ending in `*`) the holder may use; undefined = all. */
  queues: string[] | undefined;
  subject: string | undefined;
  /**
   * Who holds the token, for ownership (a worker id belongs to the identity that registered
   * it): the subject, else the token's id, else a digest of the token itself.
   */
  identity: string;
}

const claimsSchema = z.object({
  role: z.enum(ROLES),
  queues: z.array(z.string().min(1).max(129)).max(256).optional(),
  sub: z.string().max(256).optional(),
  jti: z.string().max(256).optional(),
});

export const TOKEN_ISSUER = 'switchboard';
const ALG = 'HS256';

export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(
    message: string,
    readonly reason: 'missing' | 'malformed' | 'expired' | 'invalid',
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
    return { role: c.role, queues: c.queues, subject: c.sub, identity };
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
  subject?: string;
  /** Lifetime, e.g. '30d', '12h', or seconds. Omit for a token that does not expire. */
  ttl?: string | number;
}

export async function mintToken(secret: string, opts: MintOptions): Promise<string> {
  const claims: Record<string, unknown> = { role: opts.role };
  if (opts.queues && opts.queues.length) claims.queues = opts.queues;
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: ALG })
    .setIssuer(TOKEN_ISSUER)
    .setIssuedAt();
  if (opts.subject) jwt = jwt.setSubject(opts.subject);
  if (opts.ttl !== undefined) {
    jwt = jwt.setExpirationTime(typeof opts.ttl === 'number' ? `${opts.ttl}s` : opts.ttl);
  }
  return jwt.sign(key(secret));
}

/** The grant used when auth is disabled (development preset). */
export const OPEN_GRANT: Grant = {
  role: 'admin',
  queues: undefined,
  subject: 'anonymous',
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

/** admin may do anything; otherwise the role must be one of `allowed`. */
export function hasRole(grant: Grant, ...allowed: Role[]): boolean {
  return grant.role === 'admin' || allowed.includes(grant.role);
}
