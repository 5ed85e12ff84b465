import { createHash, randomBytes } from 'node:crypto';
import { ErrorCode } from '../../protocol/index.js';
import type { Role } from '../auth/index.js';
import { federationSchema, type FederationConfig } from '../config/federation-schema.js';
import type {
  Command,
  CommandResult,
  FederationKeyRecord,
  MergedView,
  RevokedKeyRecord,
  SortedStrings,
  SummaryInput,
} from '../core/index.js';
import type { Caller } from './caller.js';
import { HubPhase, type Engine } from './engine.js';
import { OperationError } from './operation-error.js';
import { TokenBuckets } from './token-buckets.js';

/** The gateway's building blocks federation operations share (the Gateway provides them). */
interface GatewayRules {
  requireRole(caller: Caller, role: Role, what: string): void;
  gateNewWork(what: string): void;
  durably(cmd: Command): Promise<CommandResult & { ok: true }>;
}

const NO_HASHES: SortedStrings = { size: 0, chunks: () => [] };

/** The federation a Bearer token reaches at `/federation` (a key names its own). */
export const DEFAULT_FEDERATION = 'default';

/** A federation key: `sbfk_` and 32 random bytes, base64url. */
const KEY_FORMAT = /^sbfk_[A-Za-z0-9_-]{43}$/;

/** Who may push to and pull from which federation: what a key or a token was found to allow. */
export interface FederationAccess {
  readonly federation: string;
  /** Recorded with each push: `key:<id>`, or the token's identity. */
  readonly identity: string;
  /** Set: the credential may push this agent's summary only (a key minted with --agent). */
  readonly agentId: string | undefined;
}

/** A refusal that says when to come back (HTTP: 429 with Retry-After). */
export class RateLimitedError extends OperationError {
  constructor(
    message: string,
    /** Whole seconds, at least 1. */
    readonly retryAfterSeconds: number,
  ) {
    super(ErrorCode.RATE_LIMITED, message);
  }
}

/** The answer to a pull: the merge, and the newest summary's timestamp as its agent wrote it. */
export interface PullView extends MergedView {
  readonly lastUpdated: string | undefined;
}

export interface FederationInfo {
  name: string;
  agents: number;
  facts: number;
  topics: number;
  /** Topic counts and fact hashes held for it (what counts against `maxStoredItems`). */
  items: number;
  keys: number;
  lastUpdated: string | undefined;
}

/** A key as listed: everything but its digest (and never the key). */
export type FederationKeyInfo = Omit<FederationKeyRecord, 'digest'>;

export interface MintedFederationKey extends FederationKeyInfo {
  /** The secret: shown once, here; the hub keeps only its digest. */
  key: string;
}

export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Federated summaries (the agmem coordinator API), as part of the gateway
 * (`gateway.federation`): who reaches which federation (a key in the URL, or a token),
 * per-agent and per-credential rates, the caps of `federation.*` in the config, and the
 * commands that push, forget and manage keys, each acknowledged once durable.
 */
export class FederationOperations {
  private limits: FederationConfig = federationSchema.parse({});
  private pushes = new TokenBuckets(0, 1);
  private pulls = new TokenBuckets(0, 1);

  constructor(
    private readonly hub: Engine,
    private readonly rules: GatewayRules,
  ) {
    this.configure(this.limits);
  }

  configure(limits: FederationConfig): void {
    this.limits = limits;
    this.pushes = new TokenBuckets(limits.pushRate.perMinute, limits.pushRate.burst);
    this.pulls = new TokenBuckets(limits.pullRate.perMinute, limits.pullRate.burst);
  }

  // ------------------------------------------------------------------ who

  /** The federation a key opens; UNAUTHORIZED for anything that is not a valid key. */
  byKey(key: string): FederationAccess {
    this.requireState();
    const record = KEY_FORMAT.test(key)
      ? this.hub.core.federationKeys.byKeyDigest(keyDigest(key))
      : undefined;
    if (!record)
      throw new OperationError(
        ErrorCode.UNAUTHORIZED,
        'unknown or revoked federation key (the URL is http://HUB:PORT/federation/<key>; mint one with `switchboard federation key create`)',
      );
    return { federation: record.federation, identity: `key:${record.id}`, agentId: record.agentId };
  }

  /**
   * A token at `/federation` reaches the default federation: a producer (or admin) token
   * without a queue scope. A token confined to some queues was minted for those queues only.
   */
  byToken(caller: Caller): FederationAccess {
    this.requireState();
    this.rules.requireRole(caller, 'producer', 'use the federation');
    if (caller.grant.queues !== undefined)
      throw new OperationError(
        ErrorCode.FORBIDDEN,
        'a token confined to queues cannot use the federation; use one without --queues, or a federation key',
      );
    return { federation: DEFAULT_FEDERATION, identity: caller.grant.identity, agentId: undefined };
  }

  // ------------------------------------------------------------------ the coordinator API

  /**
   * Store an agent's summary (replacing its previous one); resolves once durable. Refused,
   * with nothing stored: over the agent's push rate (RateLimitedError), a timestamp too far
   * ahead of the hub's clock, a federation cap reached (FEDERATION_FULL).
   */
  push(access: FederationAccess, summary: SummaryInput): Promise<void> {
    if (access.agentId !== undefined && access.agentId !== summary.agentId)
      throw new OperationError(
        ErrorCode.FORBIDDEN,
        `this key may push the summary of agent ${JSON.stringify(access.agentId)} only`,
      );
    const now = this.hub.now();
    this.rate(
      this.pushes,
      `${access.federation}\u0000${summary.agentId}`,
      now,
      'pushes of this agent',
      this.limits.pushRate,
    );
    this.rules.gateNewWork('summaries');
    const skew = this.limits.maxClockSkewMs;
    if (skew > 0 && summary.at > now + skew)
      throw new OperationError(
        ErrorCode.INVALID_FRAME,
        `summary.timestamp is ${Math.round((summary.at - now) / 1000)} s ahead of the hub's clock (at most ${skew / 1000} s; federation.maxClockSkewMs)`,
      );
    this.checkCapacity(access.federation, summary);
    return this.rules
      .durably({
        type: 'federation.push',
        now,
        federation: access.federation,
        by: access.identity,
        summary,
      })
      .then(() => undefined);
  }

  /** The merged view: of every current summary, or of those with a timestamp after `since`. */
  pull(access: FederationAccess, since?: number): PullView {
    this.requireState();
    this.rate(
      this.pulls,
      access.identity,
      this.hub.now(),
      'pulls with this credential',
      this.limits.pullRate,
    );
    const f = this.hub.core.federations.get(access.federation);
    if (!f) return { topics: [], hashes: NO_HASHES, agents: 0, lastUpdated: undefined };
    const view = since === undefined ? f.merged() : f.mergedSince(since);
    return { ...view, lastUpdated: f.newestSummary()?.timestamp };
  }

  // ------------------------------------------------------------------ operators

  list(caller: Caller): FederationInfo[] {
    this.requireUnscopedAdmin(caller, 'read federations');
    const keys = new Map<string, number>();
    for (const k of this.hub.core.federationKeys.valid())
      keys.set(k.federation, (keys.get(k.federation) ?? 0) + 1);
    const out: FederationInfo[] = [];
    for (const f of this.hub.core.federations.values()) {
      out.push({
        name: f.name,
        agents: f.agents.size,
        facts: f.facts.size,
        topics: f.topics().length,
        items: f.items,
        keys: keys.get(f.name) ?? 0,
        lastUpdated: f.newestSummary()?.timestamp,
      });
      keys.delete(f.name);
    }
    // Federations a key names that hold nothing (yet, or any more).
    for (const [name, n] of keys)
      out.push({ name, agents: 0, facts: 0, topics: 0, items: 0, keys: n, lastUpdated: undefined });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Forget one agent's summary, or every summary of the federation. Resolves with how many. */
  forget(caller: Caller, federation: string, agentId?: string): Promise<number> {
    this.requireUnscopedAdmin(caller, 'forget federated summaries');
    return this.rules
      .durably({
        type: 'federation.forget',
        now: this.hub.now(),
        federation,
        ...(agentId === undefined ? {} : { agentId }),
      })
      .then((ok) => ok.count ?? 0);
  }

  keys(caller: Caller): { keys: FederationKeyInfo[]; revoked: RevokedKeyRecord[] } {
    this.requireUnscopedAdmin(caller, 'list federation keys');
    const core = this.hub.core.federationKeys;
    return { keys: [...core.valid()].map(withoutDigest), revoked: [...core.revoked()] };
  }

  /** Mint a key for a federation: the secret is in the answer, and nowhere else, ever. */
  async mintKey(
    caller: Caller,
    req: { federation: string; label?: string; agentId?: string },
  ): Promise<MintedFederationKey> {
    this.requireUnscopedAdmin(caller, 'mint federation keys');
    this.rules.gateNewWork('keys');
    const keys = this.hub.core.federationKeys;
    if (keys.size >= this.limits.maxKeys)
      throw new OperationError(
        ErrorCode.FEDERATION_FULL,
        `${keys.size} federation keys are valid (federation.maxKeys); revoke unused ones first`,
      );
    let id: string;
    do id = `fk_${randomBytes(9).toString('base64url')}`;
    while (keys.known(id));
    const key = `sbfk_${randomBytes(32).toString('base64url')}`;
    const now = this.hub.now();
    await this.rules.durably({
      type: 'federation.key.create',
      now,
      key: {
        id,
        federation: req.federation,
        digest: keyDigest(key),
        ...(req.label === undefined ? {} : { label: req.label }),
        ...(req.agentId === undefined ? {} : { agentId: req.agentId }),
        createdBy: caller.grant.identity,
      },
    });
    return { ...withoutDigest(keys.get(id)!), key };
  }

  /** Revoke a key: refused at once on every hub of the cluster, and after any restart. */
  async revokeKey(caller: Caller, id: string): Promise<RevokedKeyRecord> {
    this.requireUnscopedAdmin(caller, 'revoke federation keys');
    const keys = this.hub.core.federationKeys;
    if (!keys.get(id))
      throw new OperationError(ErrorCode.NOT_FOUND, `no valid federation key ${id}`);
    await this.rules.durably({ type: 'federation.key.revoke', now: this.hub.now(), keyId: id });
    return [...keys.revoked()].find((r) => r.id === id)!;
  }

  // ------------------------------------------------------------------ rules

  /** Until recovery is done, keys and summaries are not loaded: nothing can be judged yet. */
  private requireState(): void {
    const phase = this.hub.phase;
    if (phase === HubPhase.created || phase === HubPhase.recovering)
      throw new OperationError(
        ErrorCode.NOT_READY,
        'the hub is recovering its state; retry shortly (GET /ready says when)',
      );
  }

  private rate(
    buckets: TokenBuckets,
    key: string,
    now: number,
    what: string,
    limit: { perMinute: number; burst: number },
  ): void {
    const waitMs = buckets.take(key, now);
    if (waitMs === 0) return;
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new RateLimitedError(
      `too many ${what}: at most ${limit.perMinute} a minute (burst ${limit.burst}); retry in ${seconds} s`,
      seconds,
    );
  }

  private checkCapacity(federation: string, summary: SummaryInput): void {
    const all = this.hub.core.federations;
    const f = all.get(federation);
    const full = (why: string): OperationError =>
      new OperationError(ErrorCode.FEDERATION_FULL, `not stored: ${why}`);
    if (!f && all.size >= this.limits.maxFederations)
      throw full(`${all.size} federations hold summaries (federation.maxFederations)`);
    const before = f?.agents.get(summary.agentId);
    if (f && !before && f.agents.size >= this.limits.maxAgentsPerFederation)
      throw full(
        `federation ${federation} holds ${f.agents.size} agents (federation.maxAgentsPerFederation)`,
      );
    // At most: a hash listed twice is held once.
    const adds =
      Object.keys(summary.topicCounts).length +
      summary.factHashes.length +
      (summary.packedHashes === undefined ? 0 : summary.packedHashes.length >>> 5);
    const frees = before ? before.topics.length + before.facts.length : 0;
    if (adds > frees && all.items + adds - frees > this.limits.maxStoredItems)
      throw full(
        `the hub holds ${all.items} topic counts and fact hashes (federation.maxStoredItems ${this.limits.maxStoredItems})`,
      );
  }

  private requireUnscopedAdmin(caller: Caller, what: string): void {
    this.rules.requireRole(caller, 'admin', what);
    if (caller.grant.queues !== undefined)
      throw new OperationError(
        ErrorCode.FORBIDDEN,
        'managing federations needs an admin token without a queue scope',
      );
  }
}

function withoutDigest(k: FederationKeyRecord): FederationKeyInfo {
  const { digest: _digest, ...info } = k;
  return info;
}
