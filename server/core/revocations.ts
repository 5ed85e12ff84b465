/**
 * Revoked tokens, part of the hub's durable state (journaled as `token.revoke`, kept in the
 * snapshot). Two kinds: one token by its id (`jti`), and every token of a subject issued at
 * or before a time (a leaked CI credential minted many times, or tokens minted before ids
 * existed). Pure data: the core decides, the hub closes the sessions that match.
 */

/** What a revocation is checked against: the parts of a verified token that identify it. */
export interface TokenIdentity {
  tokenId: string | undefined;
  subject: string | undefined;
  /** Unix ms; undefined (a token without `iat`) counts as issued before any revocation. */
  issuedAt: number | undefined;
}

export interface RevokedId {
  id: string;
  /** Unix ms, the hub's (or the offline CLI's) clock. */
  revokedAt: number;
  reason: string | undefined;
}

export interface RevokedSubject {
  subject: string;
  /** Tokens of this subject issued at or before this time (Unix ms) are revoked. */
  issuedBefore: number;
  revokedAt: number;
  reason: string | undefined;
}

export interface RevocationsSnapshot {
  ids: RevokedId[];
  subjects: RevokedSubject[];
}

export class Revocations {
  private readonly ids = new Map<string, RevokedId>();
  private readonly subjects = new Map<string, RevokedSubject>();

  get size(): number {
    return this.ids.size + this.subjects.size;
  }

  isRevoked(token: TokenIdentity): boolean {
    if (token.tokenId !== undefined && this.ids.has(token.tokenId)) return true;
    if (token.subject === undefined) return false;
    const s = this.subjects.get(token.subject);
    return s !== undefined && (token.issuedAt ?? 0) <= s.issuedBefore;
  }

  /** The revocation that covers `token`, if any (by id first). */
  find(token: TokenIdentity): RevokedId | RevokedSubject | undefined {
    if (token.tokenId !== undefined) {
      const r = this.ids.get(token.tokenId);
      if (r) return r;
    }
    if (token.subject === undefined) return undefined;
    const s = this.subjects.get(token.subject);
    return s !== undefined && (token.issuedAt ?? 0) <= s.issuedBefore ? s : undefined;
  }

  /** Returns false when the revocation changes nothing (already revoked): replays stay idempotent. */
  revokeId(id: string, now: number, reason?: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.set(id, { id, revokedAt: now, reason });
    return true;
  }

  revokeSubject(subject: string, issuedBefore: number, now: number, reason?: string): boolean {
    const s = this.subjects.get(subject);
    // A later cut-off covers an earlier one; an earlier one adds nothing.
    if (s && s.issuedBefore >= issuedBefore) return false;
    this.subjects.set(subject, { subject, issuedBefore, revokedAt: now, reason });
    return true;
  }

  /** Whether the revocation of `id` / of `subject` up to `issuedBefore` is already in force. */
  covers(id: string | undefined, subject: string | undefined, issuedBefore: number): boolean {
    if (id !== undefined) return this.ids.has(id);
    if (subject !== undefined)
      return (this.subjects.get(subject)?.issuedBefore ?? -1) >= issuedBefore;
    return false;
  }

  snapshot(): RevocationsSnapshot {
    return {
      // No undefined fields: the snapshot codec writes plain msgpack (nil, not undefined).
      ids: [...this.ids.values()].map((r) => withoutUndefined({ ...r })),
      subjects: [...this.subjects.values()].map((r) => withoutUndefined({ ...r })),
    };
  }

  restore(snap: RevocationsSnapshot | undefined): void {
    if (!snap) return;
    for (const r of snap.ids) this.ids.set(r.id, { ...r, reason: r.reason ?? undefined });
    for (const r of snap.subjects)
      this.subjects.set(r.subject, { ...r, reason: r.reason ?? undefined });
  }
}

function withoutUndefined<T extends { reason: string | undefined }>(r: T): T {
  if (r.reason === undefined) delete (r as { reason?: string }).reason;
  return r;
}
