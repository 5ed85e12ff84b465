import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ErrorCode } from '../../../protocol/index.js';
import {
  federationHealthReplySchema,
  federationPullQuerySchema,
  federationPullReplySchema,
  federationPushBodySchema,
  federationPushReplySchema,
  type FederationSummaryJson,
} from '../../../protocol/federation-api.js';
import { parseIso8601 } from '../../../protocol/iso-8601.js';
import type { SummaryInput } from '../../core/index.js';
import {
  RateLimitedError,
  type FederationAccess,
  type PullView,
} from '../../gateway/federation-operations.js';
import { OperationError } from '../../gateway/operation-error.js';
import { corsHeaders } from '../cors.js';
import { pullBody } from '../federation-pull-json.js';
import { decodePushBody, PackedPushBody } from '../federation-push-body.js';
import type { Hub } from '../../hub/hub.js';
import { callerOf, type RequestContext, type Route } from '../router.js';
import { parseBody } from '../validate.js';

/** A key in the path: its format is the gateway's to judge (401, like any wrong key). */
const keyParams = z.strictObject({
  key: z.string().min(1).max(256).meta({ description: 'a federation key (sbfk_…)' }),
});

const TAGS = ['federation'];

/** What the hub answers with, for each route's doc. */
const REFUSALS = { 400: null, 401: null, 403: null, 413: null, 429: null, 503: null } as const;

/**
 * The API of agmem's federated coordinator (docs/federation.md), wire-compatible with the
 * agmem client as it is, under two bases on the side port:
 *
 * - `/federation/<key>`: a federation key in the path, for agmem, whose client builds its
 *   URLs as `coordinator_url + "/push"` and sends no header but Content-Type;
 * - `/federation`: a Bearer token (none in the development preset), for other clients; the
 *   federation named `default`.
 *
 * Each has `POST push`, `GET pull` and `GET health`, and answers OPTIONS for browsers when
 * `federation.cors.origins` allows the page's origin.
 */
export function federationRoutes(hub: Hub): Route[] {
  const gw = hub.gateway.federation;
  const config = hub.federation;
  const headers = corsHeaders(config.cors, 'GET, POST, OPTIONS');
  const byKey = (ctx: RequestContext): FederationAccess => {
    const { key } = parseBody(keyParams, ctx.params, 'path');
    try {
      return gw.byKey(key);
    } catch (err) {
      if (err instanceof OperationError && err.code === ErrorCode.UNAUTHORIZED) {
        hub.metrics.authFailures.inc();
        // Never the key: the path is logged with it cut out.
        hub.log.warn(
          { remote: ctx.req.socket.remoteAddress, path: keyedPath(ctx.req) },
          'federation key refused',
        );
      }
      throw err;
    }
  };
  const byToken = (ctx: RequestContext): FederationAccess => gw.byToken(callerOf(ctx));

  const push =
    (access: (ctx: RequestContext) => FederationAccess) => async (ctx: RequestContext) => {
      const who = access(ctx);
      const { summary, packed } = pushBody(ctx.body);
      await retryAfter(ctx.res, () => gw.push(who, summaryInput(summary, packed)));
      return {
        body: {
          status: 'accepted',
          agent_id: summary.agent_id,
          timestamp: new Date(hub.now()).toISOString(),
          message: `Summary from ${summary.agent_id} stored successfully`,
        },
      };
    };
  const pull = (access: (ctx: RequestContext) => FederationAccess) => (ctx: RequestContext) => {
    const who = access(ctx);
    const q = parseBody(federationPullQuerySchema, Object.fromEntries(ctx.query), 'query');
    const since = q.since === undefined ? undefined : parseIso8601(q.since);
    const view = retryAfter(ctx.res, () => gw.pull(who, since));
    writePull(ctx.res, view, new Date(hub.now()).toISOString());
    return undefined;
  };
  const health = (ctx: RequestContext) => {
    if (ctx.params.key !== undefined) byKey(ctx);
    return { body: { status: 'healthy', timestamp: new Date(hub.now()).toISOString() } };
  };
  // A preflight answers before any key is judged: the browser asks before it sends one.
  const preflight = (ctx: RequestContext) => {
    if (ctx.params.key !== undefined) parseBody(keyParams, ctx.params, 'path');
    ctx.res.writeHead(204);
    ctx.res.end();
    return undefined;
  };

  const routes: Route[] = [];
  for (const keyed of [false, true]) {
    const base = keyed ? '/federation/:key' : '/federation';
    const access = keyed ? byKey : byToken;
    const params = keyed ? { params: keyParams } : {};
    const how = keyed
      ? 'with a federation key in the path'
      : 'with a Bearer token (federation "default")';
    routes.push(
      {
        method: 'POST',
        path: `${base}/push`,
        auth: keyed ? 'open' : ['producer'],
        handler: push(access),
        headers,
        maxBodyBytes: config.maxBodyBytes,
        decodeBody: decodePushBody,
        doc: {
          summary: `Push an agent's summary, replacing its previous one (agmem), ${how}`,
          tags: TAGS,
          ...params,
          body: federationPushBodySchema,
          responses: { 200: federationPushReplySchema, ...REFUSALS, 507: null },
        },
      },
      {
        method: 'GET',
        path: `${base}/pull`,
        auth: keyed ? 'open' : ['producer'],
        handler: pull(access),
        headers,
        doc: {
          summary: `The merged summaries of the federation (agmem), ${how}`,
          tags: TAGS,
          ...params,
          query: federationPullQuerySchema,
          responses: { 200: federationPullReplySchema, ...REFUSALS },
        },
      },
      {
        method: 'GET',
        path: `${base}/health`,
        auth: 'open',
        handler: health,
        headers,
        doc: {
          summary: keyed
            ? 'The coordinator is up and the key is valid (agmem)'
            : 'The coordinator is up (agmem)',
          tags: TAGS,
          ...params,
          responses: keyed
            ? { 200: federationHealthReplySchema, 401: null, 503: null }
            : { 200: federationHealthReplySchema },
        },
      },
      ...['push', 'pull', 'health'].map((name): Route => ({
        method: 'OPTIONS',
        path: `${base}/${name}`,
        auth: 'open',
        handler: preflight,
        headers,
        doc: {
          summary: `CORS preflight of ${base}/${name} (federation.cors)`,
          tags: TAGS,
          ...params,
          responses: { 204: null },
        },
      })),
    );
  }
  return routes;
}

/**
 * The validated summary of a push body, and its hex hashes as bytes when the body was read
 * the fast way (federation-push-body.ts). A fast-read body that fails validation is judged
 * again as it came, so the refusal is word for word the plain path's.
 */
function pushBody(body: unknown): { summary: FederationSummaryJson; packed?: Uint8Array } {
  if (!(body instanceof PackedPushBody))
    return { summary: parseBody(federationPushBodySchema, body).summary };
  const fast = federationPushBodySchema.safeParse(body.json);
  if (fast.success) return { summary: fast.data.summary, packed: body.packed };
  return {
    summary: parseBody(federationPushBodySchema, JSON.parse(body.raw.toString('utf8'))).summary,
  };
}

/** The wire summary (snake_case) as the core takes it; absent fields left out, not undefined. */
function summaryInput(s: FederationSummaryJson, packed: Uint8Array | undefined): SummaryInput {
  const input: SummaryInput = {
    agentId: s.agent_id,
    timestamp: s.timestamp,
    at: parseIso8601(s.timestamp)!,
    topicCounts: s.topic_counts,
    factHashes: s.fact_hashes,
  };
  if (packed !== undefined && packed.length > 0) input.packedHashes = packed;
  if (s.memory_types !== undefined && s.memory_types !== null) input.memoryTypes = s.memory_types;
  if (s.metadata !== undefined && s.metadata !== null) input.metadata = s.metadata;
  return input;
}

/** Run `op`; a rate refusal also says when to come back (Retry-After, in seconds). */
function retryAfter<T>(res: ServerResponse, op: () => T): T {
  try {
    return op();
  } catch (err) {
    if (err instanceof RateLimitedError)
      res.setHeader('retry-after', String(err.retryAfterSeconds));
    throw err;
  }
}

function writePull(res: ServerResponse, view: PullView, now: string): void {
  const body = pullBody(view, now);
  let length = 0;
  for (const b of body) length += b.length;
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': length,
    'cache-control': 'no-store',
  });
  res.cork();
  for (const b of body) res.write(b);
  res.end();
  res.uncork();
}

/** The request path with the key replaced, for logs. */
function keyedPath(req: IncomingMessage): string {
  const path = (req.url ?? '').split('?')[0]!;
  return path.replace(/^\/federation\/[^/]+/, '/federation/<key>');
}
