import * as z from 'zod';
import { ISO_8601_MAX_CHARS, parseIso8601 } from './iso-8601.js';
import { valueSchema } from './value-schema.js';

/**
 * The JSON of agmem's federated coordinator API (docs/federation.md), as the agmem client
 * and the seed's reference coordinator speak it: field names in snake_case, as they are on
 * the wire. The bounds are part of the protocol, not configuration: a summary that passes
 * them is one any hub takes (capacity, which is configuration, is the gateway's business).
 */
export const FEDERATION_BOUNDS = {
  agentIdChars: 128,
  topicChars: 128,
  topicsPerSummary: 1000,
  /**
   * Not only SHA-256 hex: the seed's own examples send "abc123...", and agmem's client
   * sends the topic labels of its memory files (headings of up to 50 characters) there.
   */
  factHashChars: 128,
  factHashesPerSummary: 10_000,
  memoryTypes: 32,
  memoryTypeChars: 64,
  metadataKeys: 64,
  /** Of the metadata object as JSON. */
  metadataBytes: 4096,
  /** Below 2^31: summed over a federation's agents the totals stay exact integers. */
  maxCount: 2 ** 31 - 1,
} as const;

const B = FEDERATION_BOUNDS;

/**
 * A string of 1 to `max` characters, none of them a C0 or C1 control character (newline,
 * NUL, escape...). One regular expression, not min + max + a refinement: a push holds up to
 * 10,000 of these, and each check is per string (this is a third faster, and still says
 * the whole rule in the OpenAPI document as a pattern).
 */
function printable(max: number, what: string): z.ZodString {
  return z
    .string()
    .regex(
      new RegExp(`^[^\\u0000-\\u001f\\u007f-\\u009f]{1,${max}}$`),
      `${what} is 1 to ${max} characters, none of them a control character`,
    );
}

/** An ISO 8601 date-time (protocol/iso-8601.ts): what `summary.timestamp` and `?since=` take. */
export const isoTimestampSchema = z
  .string()
  .max(ISO_8601_MAX_CHARS)
  .refine(
    (s) => parseIso8601(s) !== undefined,
    'not an ISO 8601 date-time (e.g. 2026-02-01T12:00:00Z or 2026-02-01T12:00:00.123456+00:00)',
  )
  .meta({ format: 'date-time', example: '2026-02-01T12:00:00Z' });

const countSchema = z.int().min(0, 'a count is a non-negative integer').max(B.maxCount);

/**
 * An object whose keys are names: zod drops a key `__proto__` from a record without a word
 * (assigning it would replace the result's prototype), so it is refused here, by name.
 */
function namedRecord<T extends z.ZodType>(inner: T, what: string) {
  return z.preprocess((value, ctx) => {
    if (value !== null && typeof value === 'object' && Object.hasOwn(value, '__proto__'))
      ctx.issues.push({
        code: 'custom',
        message: `${what} may not be "__proto__"`,
        path: ['__proto__'],
        input: value,
      });
    return value;
  }, inner);
}

export const topicCountsSchema = namedRecord(
  z
    .record(printable(B.topicChars, 'a topic'), countSchema)
    .refine((o) => Object.keys(o).length <= B.topicsPerSummary, {
      message: `at most ${B.topicsPerSummary} topics`,
    }),
  'a topic',
);

export const factHashSchema = printable(B.factHashChars, 'a fact hash');

const metadataSchema = namedRecord(
  z
    .record(printable(128, 'a metadata key'), valueSchema)
    .refine((o) => Object.keys(o).length <= B.metadataKeys, {
      message: `at most ${B.metadataKeys} keys`,
    })
    .refine((o) => new TextEncoder().encode(JSON.stringify(o)).length <= B.metadataBytes, {
      message: `at most ${B.metadataBytes} bytes as JSON`,
    }),
  'a metadata key',
);

/**
 * One agent's summary. Unknown fields are dropped, not refused, as the reference does: a
 * newer agmem that adds a field must not start failing against the hub. `topic_counts` and
 * `fact_hashes` default to empty as in the reference; `null` for an optional field is
 * absent (Python's None).
 */
export const federationSummarySchema = z.object({
  agent_id: printable(B.agentIdChars, 'agent_id'),
  timestamp: isoTimestampSchema,
  topic_counts: topicCountsSchema.default({}),
  fact_hashes: z
    .array(factHashSchema)
    .max(B.factHashesPerSummary, `at most ${B.factHashesPerSummary} fact hashes`)
    .default([]),
  memory_types: z.array(printable(B.memoryTypeChars, 'a memory type')).max(B.memoryTypes).nullish(),
  metadata: metadataSchema.nullish(),
});
export type FederationSummaryJson = z.infer<typeof federationSummarySchema>;

/** POST {base}/push */
export const federationPushBodySchema = z.object({ summary: federationSummarySchema });

/** GET {base}/pull */
export const federationPullQuerySchema = z.strictObject({
  /** Only summaries whose timestamp is after this one. */
  since: isoTimestampSchema.optional(),
});

export const federationPushReplySchema = z.strictObject({
  status: z.literal('accepted'),
  agent_id: z.string(),
  /** When the hub accepted it (the hub's clock). */
  timestamp: z.string(),
  message: z.string(),
});

export const federationPullReplySchema = z.strictObject({
  merged_topic_counts: z.record(z.string(), z.int().min(0)),
  /** Sorted; each hash once. */
  unique_fact_hashes: z.array(z.string()),
  contributing_agents: z.int().min(0),
  /** The newest summary timestamp, as its agent wrote it (the hub's time when there is none). */
  last_updated: z.string(),
  metadata: z.strictObject({ total_facts: z.int().min(0), total_topics: z.int().min(0) }),
});

export const federationHealthReplySchema = z.strictObject({
  status: z.literal('healthy'),
  timestamp: z.string(),
});
