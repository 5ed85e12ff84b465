import { z } from 'zod';
import { corsSchema } from './cors-schema.js';

const count = z.number().int().min(0);

/** A token bucket: `perMinute` refilled, up to `burst` at once; perMinute 0 switches it off. */
const rateSchema = (perMinute: number, burst: number) =>
  z
    .strictObject({
      perMinute: count.max(6_000_000).default(perMinute),
      burst: count.min(1).max(1_000_000).default(burst),
    })
    .prefault({});

/**
 * Federated summaries (the agmem coordinator API, docs/federation.md): capacity, rates and
 * CORS. The shape of a summary (how long an agent id, how many hashes) is protocol, fixed in
 * protocol/federation-api.ts; what is configured here is how much one hub holds and serves.
 */
export const federationSchema = z
  .strictObject({
    /** Largest push body. A summary at every bound of the protocol is ~1.6 MB. */
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(2 * 1024 * 1024),
    /** Federations holding summaries at once; a push that would open one more gets 507. */
    maxFederations: count.min(1).default(1000),
    /** Agents with a summary in one federation; a new agent past it gets 507. */
    maxAgentsPerFederation: count.min(1).default(100_000),
    /**
     * Topic counts and fact hashes held over every summary of every federation: the memory
     * bound (~10-20 bytes each plus each distinct hash once). 20 million holds 10,000 agents
     * of 1,000 hashes twice over.
     */
    maxStoredItems: count.min(1).default(20_000_000),
    /** Valid federation keys at once. */
    maxKeys: count.min(1).default(10_000),
    /**
     * How far a summary's timestamp may be ahead of the hub's clock; later ones get 400. The
     * newest timestamp is `last_updated` and what `?since=` compares: one agent with its
     * clock a year ahead would otherwise hide every change after it. 0 = no check.
     */
    maxClockSkewMs: count.default(3_600_000),
    /** Pushes per agent (federation and agent_id); over it: 429 with Retry-After. */
    pushRate: rateSchema(60, 10),
    /** Pulls per credential (a federation key, or a token's identity); over it: 429. */
    pullRate: rateSchema(600, 60),
    cors: corsSchema,
  })
  .prefault({});

export type FederationConfig = z.infer<typeof federationSchema>;
