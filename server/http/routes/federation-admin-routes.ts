import { z } from 'zod';
import { ErrorCode, nameSchema } from '../../../protocol/index.js';
import { FEDERATION_BOUNDS } from '../../../protocol/federation-api.js';
import type { FederationKeyInfo, FederationInfo } from '../../gateway/federation-operations.js';
import type { RevokedKeyRecord } from '../../core/index.js';
import { OperationError } from '../../gateway/operation-error.js';
import type { Hub } from '../../hub/hub.js';
import { callerOf, type Route } from '../router.js';
import { parseBody } from '../validate.js';

const federationName = nameSchema.meta({ description: 'a federation (group) name' });
const agentId = z.string().min(1).max(FEDERATION_BOUNDS.agentIdChars);
const keyId = z.string().regex(/^fk_[A-Za-z0-9_-]{1,32}$/, 'a federation key id (fk_…)');

const nameParams = z.strictObject({ name: federationName });
const agentParams = z.strictObject({ name: federationName, agentId });
const keyParams = z.strictObject({ id: keyId });
const mintBody = z.strictObject({
  federation: federationName,
  /** Who or what the key is for: shown in listings. */
  label: z.string().min(1).max(128).optional(),
  /** The key may push this agent's summary only. */
  agentId: agentId.optional(),
});

const federationJson = z.strictObject({
  name: z.string(),
  agents: z.int(),
  facts: z.int(),
  topics: z.int(),
  items: z.int(),
  keys: z.int(),
  lastUpdated: z.string().nullable(),
});
const keyJson = z.strictObject({
  id: z.string(),
  federation: z.string(),
  label: z.string().nullable(),
  agentId: z.string().nullable(),
  createdAt: z.int(),
  createdBy: z.string().nullable(),
});
const revokedJson = z.strictObject({
  id: z.string(),
  federation: z.string(),
  label: z.string().nullable(),
  createdAt: z.int(),
  revokedAt: z.int(),
});
const TAGS = ['federation'];

export interface FederationKeyJson {
  id: string;
  federation: string;
  label: string | null;
  agentId: string | null;
  createdAt: number;
  createdBy: string | null;
}

function toFederationJson(f: FederationInfo): z.infer<typeof federationJson> {
  return { ...f, lastUpdated: f.lastUpdated ?? null };
}

function toKeyJson(k: FederationKeyInfo): FederationKeyJson {
  return {
    id: k.id,
    federation: k.federation,
    label: k.label ?? null,
    agentId: k.agentId ?? null,
    createdAt: k.createdAt,
    createdBy: k.createdBy ?? null,
  };
}

function toRevokedJson(r: RevokedKeyRecord): z.infer<typeof revokedJson> {
  return { ...r, label: r.label ?? null };
}

/**
 * The operator's side of federated summaries, under /api/v1 with an admin token: which
 * federations hold what, forgetting agents, and minting, listing and revoking federation
 * keys (`switchboard federation …` calls these).
 */
export function federationAdminRoutes(hub: Hub): Route[] {
  const gw = hub.gateway.federation;
  return [
    {
      method: 'GET',
      path: '/api/v1/federations',
      auth: ['admin'],
      handler: (ctx) => ({ body: { federations: gw.list(callerOf(ctx)).map(toFederationJson) } }),
      doc: {
        summary: 'Every federation: agents, distinct facts, topics, keys, newest summary',
        tags: TAGS,
        responses: { 200: z.strictObject({ federations: z.array(federationJson) }) },
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/federations/:name',
      auth: ['admin'],
      handler: async (ctx) => {
        const { name } = parseBody(nameParams, ctx.params, 'path');
        const forgotten = await gw.forget(callerOf(ctx), name);
        hub.log.info({ federation: name, forgotten, by: ctx.grant?.subject }, 'federation reset');
        return { body: { federation: name, forgotten } };
      },
      doc: {
        summary: 'Forget every summary of a federation (its keys stay valid)',
        tags: TAGS,
        params: nameParams,
        responses: {
          200: z.strictObject({ federation: z.string(), forgotten: z.int() }),
        },
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/federations/:name/agents/:agentId',
      auth: ['admin'],
      handler: async (ctx) => {
        const p = parseBody(agentParams, ctx.params, 'path');
        const forgotten = await gw.forget(callerOf(ctx), p.name, p.agentId);
        if (forgotten === 0)
          throw new OperationError(
            ErrorCode.NOT_FOUND,
            `federation ${p.name} holds no summary of agent ${p.agentId}`,
          );
        return { body: { federation: p.name, agentId: p.agentId, forgotten } };
      },
      doc: {
        summary: "Forget one agent's summary",
        tags: TAGS,
        params: agentParams,
        responses: {
          200: z.strictObject({ federation: z.string(), agentId: z.string(), forgotten: z.int() }),
          404: null,
        },
      },
    },
    {
      method: 'GET',
      path: '/api/v1/federation-keys',
      auth: ['admin'],
      handler: (ctx) => {
        const { keys, revoked } = gw.keys(callerOf(ctx));
        return { body: { keys: keys.map(toKeyJson), revoked: revoked.map(toRevokedJson) } };
      },
      doc: {
        summary: 'Federation keys (never the keys themselves), and the last 1,000 revoked',
        tags: TAGS,
        responses: {
          200: z.strictObject({ keys: z.array(keyJson), revoked: z.array(revokedJson) }),
        },
      },
    },
    {
      method: 'POST',
      path: '/api/v1/federation-keys',
      auth: ['admin'],
      handler: async (ctx) => {
        const b = parseBody(mintBody, ctx.body);
        const minted = await gw.mintKey(callerOf(ctx), {
          federation: b.federation,
          ...(b.label === undefined ? {} : { label: b.label }),
          ...(b.agentId === undefined ? {} : { agentId: b.agentId }),
        });
        // Never the key: it is in the answer and nowhere else.
        hub.log.info(
          { keyId: minted.id, federation: minted.federation, by: ctx.grant?.subject },
          'federation key minted',
        );
        return { status: 201, body: { ...toKeyJson(minted), key: minted.key } };
      },
      doc: {
        summary: 'Mint a federation key; the answer holds the key, shown this once',
        tags: TAGS,
        body: mintBody,
        responses: { 201: keyJson.extend({ key: z.string() }), 507: null },
      },
    },
    {
      method: 'POST',
      path: '/api/v1/federation-keys/:id/revoke',
      auth: ['admin'],
      handler: async (ctx) => {
        const { id } = parseBody(keyParams, ctx.params, 'path');
        const revoked = await gw.revokeKey(callerOf(ctx), id);
        hub.log.info(
          { keyId: id, federation: revoked.federation, by: ctx.grant?.subject },
          'federation key revoked',
        );
        return { body: { revoked: toRevokedJson(revoked) } };
      },
      doc: {
        summary: 'Revoke a federation key: refused from now on, on every hub of the cluster',
        tags: TAGS,
        params: keyParams,
        responses: { 200: z.strictObject({ revoked: revokedJson }), 404: null },
      },
    },
  ];
}
