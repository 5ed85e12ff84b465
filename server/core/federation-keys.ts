/**
 * Federation keys: credentials carried in a base URL's path (`/federation/<key>`), for
 * agmem's client, which sends no header but Content-Type. Each names the federation it
 * opens. Durable state like token revocations (journaled, in the snapshot), so a key
 * minted on one hub of a cluster opens the same federation on every hub, and a revoked key
 * stays revoked after a restart.
 *
 * The core holds a SHA-256 digest of each key, never the key: the hub draws the secret,
 * shows it once, and the snapshot and the log hold nothing that would open a federation.
 */
export interface FederationKeyRecord {
  /** Public name of the key (`federation key list`, `revoke <id>`); not the secret. */
  readonly id: string;
  readonly federation: string;
  /** Hex SHA-256 of the key. */
  readonly digest: string;
  readonly label: string | undefined;
  /** Set: the key may push only this agent's summary. */
  readonly agentId: string | undefined;
  readonly createdAt: number;
  /** Identity of whoever minted it. */
  readonly createdBy: string | undefined;
}

/** What is kept of a revoked key: enough to list it, nothing to match it by. */
export interface RevokedKeyRecord {
  readonly id: string;
  readonly federation: string;
  readonly label: string | undefined;
  readonly createdAt: number;
  readonly revokedAt: number;
}

/** A record as written: optional fields absent rather than undefined (plain msgpack). */
type Written<T, K extends keyof T> = Omit<T, K> & { [P in K]?: NonNullable<T[P]> };

export interface FederationKeysSnapshot {
  keys: Written<FederationKeyRecord, 'label' | 'agentId' | 'createdBy'>[];
  revoked: Written<RevokedKeyRecord, 'label'>[];
}

/** Revoked keys listed at most; the oldest revocation is forgotten first. */
export const MAX_REVOKED_KEYS_KEPT = 1000;

export class FederationKeys {
  private readonly byId = new Map<string, FederationKeyRecord>();
  private readonly byDigest = new Map<string, FederationKeyRecord>();
  /** In revocation order. */
  private readonly revokedKeys = new Map<string, RevokedKeyRecord>();

  /** Keys that open a federation now. */
  get size(): number {
    return this.byId.size;
  }

  /** The key whose digest this is, if it is valid. */
  byKeyDigest(digest: string): FederationKeyRecord | undefined {
    return this.byDigest.get(digest);
  }

  get(id: string): FederationKeyRecord | undefined {
    return this.byId.get(id);
  }

  /** Whether an id was ever used (valid or revoked): ids are never reused. */
  known(id: string): boolean {
    return this.byId.has(id) || this.revokedKeys.has(id);
  }

  valid(): IterableIterator<FederationKeyRecord> {
    return this.byId.values();
  }

  revoked(): IterableIterator<RevokedKeyRecord> {
    return this.revokedKeys.values();
  }

  /** False when the id or the digest is taken (nothing changes then). */
  add(key: FederationKeyRecord): boolean {
    if (this.known(key.id) || this.byDigest.has(key.digest)) return false;
    this.byId.set(key.id, key);
    this.byDigest.set(key.digest, key);
    return true;
  }

  /** The revoked key's record, or undefined when no valid key has this id. */
  revoke(id: string, now: number): RevokedKeyRecord | undefined {
    const key = this.byId.get(id);
    if (!key) return undefined;
    this.byId.delete(id);
    this.byDigest.delete(key.digest);
    const record: RevokedKeyRecord = {
      id,
      federation: key.federation,
      label: key.label,
      createdAt: key.createdAt,
      revokedAt: now,
    };
    this.revokedKeys.set(id, record);
    if (this.revokedKeys.size > MAX_REVOKED_KEYS_KEPT) {
      this.revokedKeys.delete(this.revokedKeys.keys().next().value!);
    }
    return record;
  }

  snapshot(): FederationKeysSnapshot {
    // No undefined fields: the snapshot codec writes plain msgpack (nil, not undefined).
    return {
      keys: [...this.byId.values()].map((k) => written({ ...k })),
      revoked: [...this.revokedKeys.values()].map((k) => written({ ...k })),
    };
  }

  restore(snap: FederationKeysSnapshot | undefined): void {
    if (!snap) return;
    for (const k of snap.keys) {
      const key: FederationKeyRecord = {
        id: k.id,
        federation: k.federation,
        digest: k.digest,
        label: k.label ?? undefined,
        agentId: k.agentId ?? undefined,
        createdAt: k.createdAt,
        createdBy: k.createdBy ?? undefined,
      };
      this.byId.set(key.id, key);
      this.byDigest.set(key.digest, key);
    }
    for (const r of snap.revoked) this.revokedKeys.set(r.id, { ...r, label: r.label ?? undefined });
  }
}

function written<T extends object>(o: T): Written<T, never> {
  const out = o as Record<string, unknown>;
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return o;
}
